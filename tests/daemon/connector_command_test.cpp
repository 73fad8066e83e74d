// `taxsync connector list|check` on a real configuration and folders: what they print, that they
// move, store and create nothing, and the config keys they rely on.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "connectors/registry.hpp"
#include "daemon/commands.hpp"
#include "daemon/config.hpp"
#include "daemon/exit_codes.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::daemon {
namespace {

namespace fs = std::filesystem;

class ConnectorCommand : public ::testing::Test {
protected:
    ConnectorCommand() {
        const auto secret = dir.write("secret", "0123456789abcdef\n");
        fs::permissions(secret, fs::perms::owner_read);
        dir.write("taxsync.toml",
                  "[service]\nstate_dir = \"state\"\n"
                  "[portal]\ntype = \"caseware-cloud\"\nbase_url = \"https://x.example.com/f\"\n"
                  "client_id = \"c\"\nclient_secret_file = \"secret\"\n"
                  "[[connector]]\nname = \"cch\"\ntype = \"cch-axcess\"\nfolder = \"in\"\nsettle_seconds = 0\n"
                  "patterns = [\"*.csv\", \"*.xlsx\"]\nquarantine = \"held\"\nid_width = 4\n"
                  "[[connector]]\nname = \"missing\"\ntype = \"mef-xml\"\nfolder = \"nowhere\"\n");
        dir.write("in/batch.csv",
                  "Client ID,Client Sub-ID,Client GUID,NameLine1,NameLine2,SortName,Federal ID,ClientType,FYE\n"
                  "1001,,g1,Thomas,Berg,BERG,900-41-7001,Individual,12/31\n"
                  "17,,g2,Ann,Lee,LEE,,Individual,12/31\n");
        dir.write("in/broken.csv", std::string("\0\0", 2));
        dir.write("in/~$batch.xlsx", "owner");
        dir.write("in/notes.txt", "not an export");
    }

    int run(const std::function<int(const CommandContext&)>& command) {
        out.str("");
        err.str("");
        const CommandContext context{dir.path() / "taxsync.toml", json, out, err};
        return command(context);
    }

    taxsync::testing::TempDir dir;
    std::ostringstream out;
    std::ostringstream err;
    bool json = false;
};

TEST_F(ConnectorCommand, ListShowsEachFolderAtAGlance) {
    EXPECT_EQ(run(run_connector_list), exit_code::kOk) << err.str();
    EXPECT_NE(out.str().find("cch (cch-axcess)"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("2 ready, 0 waiting, 2 ignored"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("cannot look: export folder"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("mef-xml: IRS e-file"), std::string::npos);
}

TEST_F(ConnectorCommand, CheckShowsFilesClientsAndProblemsAndChangesNothing) {
    const int status = run([](const CommandContext& c) { return run_connector_check(c, "cch"); });
    EXPECT_EQ(status, exit_code::kProblems) << err.str();
    const std::string text = out.str();
    EXPECT_NE(text.find("ready    batch.csv"), std::string::npos) << text;
    EXPECT_NE(text.find("ignored  ~$batch.xlsx (temp, lock or hidden file)"), std::string::npos) << text;
    EXPECT_NE(text.find("ignored  notes.txt (does not match patterns)"), std::string::npos) << text;
    EXPECT_NE(text.find("would import: 1 client(s)"), std::string::npos) << text;
    EXPECT_NE(text.find("SSN ***-**-7001"), std::string::npos) << text;
    EXPECT_EQ(text.find("900-41-7001"), std::string::npos) << text;
    EXPECT_NE(text.find("batch.csv:3: error: client id '17' has 2 digits"), std::string::npos) << text;
    EXPECT_NE(text.find("broken.csv:1: error: file contains NUL bytes"), std::string::npos) << text;
    // Read-only: the broken file stays, and no state, key or quarantine folder appears.
    EXPECT_TRUE(fs::exists(dir.path() / "in" / "broken.csv"));
    EXPECT_FALSE(fs::exists(dir.path() / "held"));
    EXPECT_FALSE(fs::exists(dir.path() / "state"));
}

TEST_F(ConnectorCommand, CheckSpeaksJson) {
    json = true;
    run([](const CommandContext& c) { return run_connector_check(c, "cch"); });
    const auto report = nlohmann::json::parse(out.str());
    ASSERT_EQ(report["clients"].size(), 1U);
    EXPECT_EQ(report["clients"][0]["id"], "1001");
    EXPECT_EQ(report["clients"][0]["people"][0]["tax_id_last4"], "7001");
    EXPECT_FALSE(report["complete"].get<bool>());
    EXPECT_EQ(report["ignored"].size(), 2U);
}

TEST_F(ConnectorCommand, CheckOfAnUnknownNameIsAUsageError) {
    EXPECT_EQ(run([](const CommandContext& c) { return run_connector_check(c, "nope"); }), exit_code::kUsage);
    EXPECT_NE(err.str().find("no connector named \"nope\""), std::string::npos);
}

TEST_F(ConnectorCommand, ExecNeedsACommand) {
    dir.write("bad.toml",
              "[service]\nstate_dir = \"state\"\n[portal]\ntype = \"caseware-cloud\"\nbase_url = "
              "\"https://x.example.com/f\"\n"
              "client_id = \"c\"\nclient_secret_file = \"secret\"\n"
              "[[connector]]\nname = \"x\"\ntype = \"exec\"\nfolder = \"in\"\ntimeout_seconds = 0\n");
    connectors::ConnectorRegistry registry;
    connectors::register_builtin_connectors(registry);
    const auto config = load_config(dir.path() / "bad.toml", {}, registry);
    ASSERT_TRUE(config.has_error());
    const std::string all = to_string(config.error());
    EXPECT_NE(all.find("needs command"), std::string::npos) << all;
    EXPECT_NE(all.find("timeout_seconds"), std::string::npos) << all;
}

}  // namespace
}  // namespace taxsync::daemon
