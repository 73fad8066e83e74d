#include "core/redact.hpp"

#include <gtest/gtest.h>

namespace taxsync {
namespace {

TEST(MaskTaxIds, MasksEveryShapeOfNineDigits) {
    EXPECT_EQ(mask_tax_ids("ssn 123-45-6789 seen"), "ssn XXX-XX-6789 seen");
    EXPECT_EQ(mask_tax_ids("ein=12-3456789"), "ein=XXX-XX-6789");
    EXPECT_EQ(mask_tax_ids("raw 123456789."), "raw XXX-XX-6789.");
    EXPECT_EQ(mask_tax_ids("spaced 123 45 6789"), "spaced XXX-XX-6789");
    EXPECT_EQ(mask_tax_ids("123456789"), "XXX-XX-6789");
}

TEST(MaskTaxIds, LeavesOtherNumbersAlone) {
    EXPECT_EQ(mask_tax_ids("client 1001 on line 12"), "client 1001 on line 12");
    EXPECT_EQ(mask_tax_ids("phone 555-123-4567"), "phone 555-123-4567");
    EXPECT_EQ(mask_tax_ids("ten digits 1234567890"), "ten digits 1234567890");
    EXPECT_EQ(mask_tax_ids("guid ab123456789cd"), "guid ab123456789cd");
    EXPECT_EQ(mask_tax_ids("date 2026-11-22"), "date 2026-11-22");
}

TEST(Redactor, HidesRegisteredSecretsAndTaxIds) {
    Redactor redactor;
    redactor.add_secret("s3cr3t-token-value");
    redactor.add_secret("abc");  // too short to be a secret worth hiding
    const std::string out = redactor.redact("token s3cr3t-token-value for 987-65-4321 abc");
    EXPECT_EQ(out, "token [redacted] for XXX-XX-4321 abc");
}

TEST(Redactor, LongerSecretWinsOverOneItContains) {
    Redactor redactor;
    redactor.add_secret("password");
    redactor.add_secret("password-extended");
    EXPECT_EQ(redactor.redact("x password-extended y"), "x [redacted] y");
}

}  // namespace
}  // namespace taxsync
