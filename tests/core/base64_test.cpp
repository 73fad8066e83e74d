#include "core/base64.hpp"

#include <gtest/gtest.h>

namespace taxsync {
namespace {

TEST(Base64, RoundTripsAndRefusesWhatIsNotCanonical) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_decode("Zm8="), "fo");
    const std::string binary("SLF00\0\0\x01\xff", 9);
    EXPECT_EQ(base64_decode(base64_encode(binary)), binary);
    EXPECT_EQ(base64_decode("Zm8"), std::nullopt);   // not a multiple of 4
    EXPECT_EQ(base64_decode("Zm!="), std::nullopt);  // not the alphabet
    EXPECT_EQ(base64_decode("Zm9="), std::nullopt);  // non-zero padding bits
}

}  // namespace
}  // namespace taxsync
