#include "core/digest.hpp"

#include <gtest/gtest.h>

#include <string>

namespace taxsync {
namespace {

TEST(Digest, Sha256MatchesTheStandardsTestVectors) {
    // FIPS 180-2 examples, and the empty message.
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // A million 'a's, hashed in uneven pieces, equals the one-shot digest and the published one.
    const std::string million(1'000'000, 'a');
    Sha256 pieces;
    for (std::size_t at = 0; at < million.size(); at += 4093) pieces.update(std::string_view(million).substr(at, 4093));
    const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    EXPECT_EQ(pieces.finish_hex(), expected);
    EXPECT_EQ(sha256_hex(million), expected);
}

TEST(Digest, HexWritesEveryByteAsTwoLowerCaseDigits) {
    EXPECT_EQ(to_hex(""), "");
    EXPECT_EQ(to_hex(std::string("\x00\x01\x7f\x80\xfe\xff", 6)), "00017f80feff");
    EXPECT_EQ(to_hex("\xab\xcd"), "abcd");
}

}  // namespace
}  // namespace taxsync
