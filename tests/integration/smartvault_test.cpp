// What only the SmartVault dialect has: the response envelope (a failure inside an HTTP 200),
// token renewal on invalid_token, the alias as the external key when a create's answer is lost,
// the RSA-signed client token, and the User Activation email template.

#include <gtest/gtest.h>

#include <fstream>

#include "store/sqlite.hpp"
#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

class SmartvaultTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator", Dialect::Smartvault};
    Workspace workspace{emulator};

    /// How each client's entity came to be, from the audit trail.
    std::vector<std::string> create_entity_outcomes() {
        auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
        auto row = db.prepare("SELECT outcome FROM audit WHERE action = 'create_entity' ORDER BY client_id");
        std::vector<std::string> out;
        while (row.step()) out.push_back(row.column_text(0));
        return out;
    }
};

TEST_F(SmartvaultTest, FailureEnvelopeInAnHttp200IsAFailureWithItsTextShown) {
    workspace.write_lacerte(Exports::numbered_rows(3, "p"));
    emulator.faults({{"rules", json::array({{{"method", "PUT"},
                                             {"path", "/nodes/grp/"},
                                             {"status", 200},
                                             {"error_text", "The member could not be added (vault is locked)"},
                                             {"times", 1}}})}});
    const auto first = workspace.taxsync({"once"});
    EXPECT_EQ(first.exit_code, 3) << first.out << first.err;  // done, with problems
    EXPECT_NE(first.out.find("The member could not be added (vault is locked)"), std::string::npos) << first.out;
    EXPECT_NE(first.out.find("2 invitation(s) sent"), std::string::npos) << first.out;
    EXPECT_EQ(emulator.invitations().size(), 2U);  // the refused one was not taken for sent

    const auto second = workspace.taxsync({"once"});
    EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
    expect_each_invited_once(emulator, 3);
}

TEST_F(SmartvaultTest, InvalidTokenIsRenewedOnceAndTheCallRepeated) {
    workspace.write_config("concurrency = 1\n");  // one worker: one request refused, one renewal
    workspace.write_lacerte(Exports::numbered_rows(2, "p"));
    // The delegation token is refused once in the middle of the cycle, as SmartVault does when it
    // has expired or been revoked: HTTP 400 invalid_token.
    emulator.faults({{"rules", json::array({{{"method", "GET"},
                                             {"path", "/nodes/entity/"},
                                             {"status", 400},
                                             {"error_text", "invalid_token"},
                                             {"times", 1}}})}});
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    expect_each_invited_once(emulator, 2);
    // Signed in, then a new delegation token once (the client token was still good).
    EXPECT_EQ(emulator.count_requests("POST", "/auto/auth/dtoken/1"), 2U);
    EXPECT_EQ(emulator.count_requests("POST", "/auto/auth/ctoken/1"), 1U);
    EXPECT_NE((result.out + result.err).find("invalid_token"), std::string::npos);  // the log says why
}

TEST_F(SmartvaultTest, WorkersShareOneSignIn) {
    // Six workers, each with its own adapter: one nonce, one client token, one delegation token.
    workspace.write_config("concurrency = 6\n");
    workspace.write_lacerte(Exports::numbered_rows(12, "p"));
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    expect_each_invited_once(emulator, 12);
    EXPECT_EQ(emulator.count_requests("POST", "/auto/auth/nonce/1"), 1U);
    EXPECT_EQ(emulator.count_requests("POST", "/auto/auth/ctoken/1"), 1U);
    EXPECT_EQ(emulator.count_requests("POST", "/auto/auth/dtoken/1"), 1U);
}

TEST_F(SmartvaultTest, ExpiredTokensMidCycleAreRenewedBeforeUse) {
    TempDir other;
    Emulator short_tokens(other.path() / "emulator", "unused-secret-0123456789", {"--token-ttl", "1"},
                          Dialect::Smartvault);
    Workspace space(short_tokens);
    space.write_lacerte(Exports::numbered_rows(1, "p"));
    short_tokens.faults({{"rules", json::array({{{"path", "*"}, {"delay_ms", 60}}})}});  // the cycle outlives a token
    const auto result = space.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    expect_each_invited_once(short_tokens, 1);
    EXPECT_GE(short_tokens.count_requests("POST", "/auto/auth/dtoken/1"), 2U);
}

TEST_F(SmartvaultTest, LostCreateAnswersAreRecoveredThroughTheAliasNotDuplicated) {
    workspace.write_lacerte(Exports::numbered_rows(2, "p"));
    // Each client's create is applied but its answer is lost; sending it again would meet
    // SmartVault's duplicate client id. The adapter looks the client up by taxsync's alias instead.
    emulator.faults({{"rules", json::array({{{"method", "PUT"},
                                             {"path", "/nodes/entity/SmartVault.Accounting.Firm/itest/"},
                                             {"drop", "after"},
                                             {"times", 2}}})}});
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(emulator.entity_count(), 2U);
    expect_each_invited_once(emulator, 2);
    EXPECT_EQ(emulator.count_requests("PUT", "/nodes/entity/"), 2U);  // never sent twice
    EXPECT_EQ(create_entity_outcomes(), (std::vector<std::string>{"recovered", "recovered"}));
}

TEST_F(SmartvaultTest, DuplicateClientIdIsAdoptedThroughItsAliasNotDuplicated) {
    // A client made earlier with the same client id and taxsync's alias (an earlier install, a
    // restored state directory): found by the alias and adopted, never created twice.
    const json client = {
        {"type_qualifier", "Individual"},
        {"client_id", "00001I"},
        {"name", "Made before"},
        {"aliases", json::array({{{"Domain", "taxsync"}, {"Type", "identifier"}, {"Value", "lacerte:00001I"}}})}};
    const json body = {{"entity",
                        {{"meta_data", {{"entity_definition", "SmartVault.Accounting.Client"}}},
                         {"smart_vault", {{"accounting", {{"client", client}}}}}}}};
    ASSERT_TRUE(emulator
                    .smartvault("PUT",
                                "/nodes/entity/SmartVault.Accounting.Firm/itest/SmartVault.Accounting.FirmClient",
                                body)["error"]["success"]
                    .get<bool>());
    // Creating it again is a failure envelope in an HTTP 200, as the contract says.
    const json again = emulator.smartvault(
        "PUT", "/nodes/entity/SmartVault.Accounting.Firm/itest/SmartVault.Accounting.FirmClient", body);
    EXPECT_FALSE(again["error"]["success"].get<bool>());
    EXPECT_NE(again["error"]["error_text"].get<std::string>().find("already exists"), std::string::npos);

    workspace.write_lacerte(Exports::numbered_rows(2, "p"));
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(emulator.entity_count(), 2U);
    EXPECT_EQ(emulator.entity_name("lacerte:00001I"), "Last, First1");  // adopted, then named as the rules say
    EXPECT_EQ(create_entity_outcomes(), (std::vector<std::string>{"adopted", "ok"}));
    expect_each_invited_once(emulator, 2);
}

TEST_F(SmartvaultTest, ClientTokenSignedWithTheWrongKeyIsRefused) {
    TempDir impostor;
    write_rsa_key_pair(impostor.path(), /*fresh=*/true);
    std::filesystem::copy_file(impostor.path() / "app.key", workspace.dir() / "app.key",
                               std::filesystem::copy_options::overwrite_existing);
    workspace.write_lacerte(Exports::numbered_rows(2, "p"));
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    EXPECT_NE((result.out + result.err).find("signature does not verify"), std::string::npos)
        << result.out << result.err;
    EXPECT_NE((result.out + result.err).find("private_key_file"), std::string::npos) << result.out << result.err;
    EXPECT_TRUE(emulator.invitations().empty());
    EXPECT_EQ(emulator.entity_count(), 0U);
}

TEST_F(SmartvaultTest, PrivateKeyReadableByOthersIsRefused) {
    std::filesystem::permissions(workspace.dir() / "app.key", std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    const auto check = workspace.taxsync({"config", "check"});
    EXPECT_EQ(check.exit_code, 1);
    EXPECT_NE(check.err.find("taxsync.toml:"), std::string::npos) << check.err;
    EXPECT_NE(check.err.find("private key file"), std::string::npos) << check.err;
    EXPECT_NE(check.err.find("chmod 600"), std::string::npos) << check.err;
}

TEST_F(SmartvaultTest, ActivationTemplateIsShownAndUpdated) {
    const auto shown = workspace.taxsync({"portal", "template", "show"});
    ASSERT_EQ(shown.exit_code, 0) << shown.out << shown.err;
    EXPECT_EQ(shown.out.rfind("Subject: %FROMNAME% has invited you to %SUBJECTTEXT%", 0), 0U) << shown.out;

    {
        std::ofstream out(workspace.dir() / "bad.txt");
        out << "Subject: Your portal\n\nHello %CLIENTNAME%, welcome.\n";
    }
    const auto refused = workspace.taxsync({"portal", "template", "set", (workspace.dir() / "bad.txt").string()});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("bad.txt:3: unknown placeholder %CLIENTNAME%"), std::string::npos) << refused.err;
    EXPECT_TRUE(emulator.requests().empty() || emulator.count_requests("POST", "/nodes/email-template") == 0);

    {
        std::ofstream out(workspace.dir() / "good.txt");
        out << "Subject: %FROMNAME% opened your Test Firm portal\n\nHello,\n%FROMNAME% shared %SUBJECTTEXT% with "
               "you.\n";
    }
    const auto set = workspace.taxsync({"portal", "template", "set", (workspace.dir() / "good.txt").string()});
    ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
    const json stored = emulator.state()["email_templates"][0];
    EXPECT_EQ(stored["subject"], "%FROMNAME% opened your Test Firm portal");
    EXPECT_EQ(stored["body"], "Hello,\n%FROMNAME% shared %SUBJECTTEXT% with you.");

    // The invitations use it.
    workspace.write_lacerte(Exports::numbered_rows(1, "p"));
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(emulator.mailbox()[0]["message"], "admin@firm.example opened your Test Firm portal");
}

TEST_F(SmartvaultTest, WithoutInvitationsPersonsAreRecordedAndNoVaultIsOpened) {
    workspace.write_config("", "invite = false\n");
    workspace.write_lacerte(Exports::numbered_rows(2, "p"));
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(emulator.contact_emails(), (std::set<std::string>{"p1@example.com", "p2@example.com"}));
    EXPECT_TRUE(emulator.mailbox().empty());
    EXPECT_TRUE(emulator.state()["group_members"].empty());
}

TEST_F(SmartvaultTest, PlanSaysWhatThePortalCannotDo) {
    workspace.write_lacerte(Exports::numbered_rows(1, "p"));
    const auto plan = workspace.taxsync({"plan"});
    EXPECT_EQ(plan.exit_code, 2) << plan.out << plan.err;
    EXPECT_NE(plan.out.find("What the smartvault portal does differently"), std::string::npos) << plan.out;
    EXPECT_NE(plan.out.find("clients cannot be deleted: removal means archive"), std::string::npos) << plan.out;
    EXPECT_NE(plan.out.find("folder access is per group"), std::string::npos) << plan.out;
    EXPECT_TRUE(emulator.requests().empty());
}

}  // namespace
}  // namespace taxsync::testing
