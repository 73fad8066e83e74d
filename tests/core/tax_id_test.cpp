#include "core/tax_id.hpp"

#include "core/digest.hpp"

#include <gtest/gtest.h>

namespace taxsync {
namespace {

const TaxIdHasher hasher("0123456789abcdef0123456789abcdef");

TEST(TaxIdHasher, SameNumberInAnyShapeGivesSameFingerprint) {
    const auto a = hasher.fingerprint("123-45-6789");
    const auto b = hasher.fingerprint(" 123456789 ");
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(a->last4, "6789");
    EXPECT_EQ(a->keyed_hash.size(), 64U);
    EXPECT_EQ(a->keyed_hash.find("123456789"), std::string::npos);
}

TEST(TaxIdHasher, DifferentKeysGiveDifferentHashes) {
    const TaxIdHasher other("another-key-of-sufficient-size!!");
    EXPECT_NE(hasher.fingerprint("123456789")->keyed_hash, other.fingerprint("123456789")->keyed_hash);
}

TEST(TaxIdHasher, RefusesValuesThatCannotIdentifyAnyone) {
    for (const char* bad : {"XXX-XX-1234", "***-**-1234", "1.23457E+08", "12345678", "1234567890", "000-00-0000",
                            "12A456789", ""}) {
        const auto result = hasher.fingerprint(bad);
        ASSERT_TRUE(result.has_error()) << bad;
        EXPECT_EQ(result.error().kind, ErrorKind::InvalidInput);
    }
}

TEST(TaxIdHasher, ReasonNeverRepeatsTheNumber) {
    const auto result = hasher.fingerprint("12345678");
    ASSERT_TRUE(result.has_error());
    EXPECT_EQ(result.error().message.find("12345678"), std::string::npos);
    EXPECT_NE(result.error().message.find("8 digits"), std::string::npos);
}

TEST(TaxIdHasher, ShortKeyIsAProgrammingError) { EXPECT_THROW(TaxIdHasher("short"), std::invalid_argument); }

}  // namespace
}  // namespace taxsync

namespace taxsync {
namespace {

TEST(HmacSha256, PrecomputedKeyGivesTheSameHashAsOneShotHmac) {
    // RFC 4231 test case 2, and keys shorter than, equal to and longer than the 64-byte block.
    EXPECT_EQ(HmacSha256("Jefe").hex("what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    for (const std::string& key : {std::string(16, 'k'), std::string(64, 'x'), std::string(131, 'y')}) {
        const HmacSha256 hmac(key);
        for (const std::string& data : {std::string(), std::string("900417001"), std::string(200, 'z')}) {
            EXPECT_EQ(hmac.hex(data), hmac_sha256_hex(key, data)) << key.size() << " " << data.size();
        }
    }
    const TaxIdHasher keyed(std::string(32, 'k'));
    EXPECT_EQ(keyed.fingerprint("900-41-7001")->keyed_hash, hmac_sha256_hex(std::string(32, 'k'), "900417001"));
}

}  // namespace
}  // namespace taxsync
