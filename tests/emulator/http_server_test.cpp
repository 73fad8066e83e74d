// End-to-end tests of the emulator over loopback HTTP: the server runs in-process on an ephemeral
// port with its io_context on a thread; the tests drive it with a blocking client.

#include "emulator/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "core/logger.hpp"
#include "emulator/emulator.hpp"
#include "tests/emulator/http_test_client.hpp"
#include "tests/support/manual_clock.hpp"

namespace taxsync::emulator {
namespace {

using nlohmann::json;
using testing::HttpResult;
using testing::HttpTestClient;
using testing::url_encode;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kClientId = "taxsync-test";
constexpr std::string_view kClientSecret = "emulator-secret-123";
constexpr std::string_view kApi = "/demo/ms/caseware-cloud/api/v2";

EmulatorOptions test_options() {
    EmulatorOptions options;
    options.firm = "demo";
    options.credentials = {std::string(kClientId), std::string(kClientSecret), std::chrono::seconds(1800)};
    options.id_seed = 42;
    options.log_requests = false;
    return options;
}

class EmulatorHttpTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto loopback = boost::asio::ip::make_address("127.0.0.1");
        auto listening = server_.listen(boost::asio::ip::tcp::endpoint(loopback, 0));
        ASSERT_TRUE(listening.has_value()) << listening.error().message;
        port_ = server_.port();
        ASSERT_NE(port_, 0);
        io_thread_ = std::thread([this] { io_.run(); });
        client_.emplace(port_);
    }

    void TearDown() override {
        io_.stop();
        if (io_thread_.joinable()) io_thread_.join();
    }

    static std::string api(std::string_view path) { return std::string(kApi) + std::string(path); }

    HttpResult request_token(std::string_view secret = kClientSecret) {
        const json body{{"ClientId", kClientId}, {"ClientSecret", secret}, {"Language", "en"}};
        return client_->send("POST", api("/auth/token"), body.dump());
    }

    void authenticate() {
        const HttpResult answer = request_token();
        ASSERT_EQ(answer.status, 200U) << answer.body;
        token_ = answer.json()["Token"].get<std::string>();
    }

    HttpResult call(const std::string& method, std::string_view path, const json& body = nullptr, Headers headers = {},
                    HttpTestClient* client = nullptr) {
        headers.emplace_back("Authorization", "Bearer " + token_);
        return (client != nullptr ? *client : *client_)
            .send(method, api(path), body.is_null() ? "" : body.dump(), headers);
    }

    json create_entity(const std::string& entity_no, const std::string& name = "Acme LLC") {
        const HttpResult answer =
            call("POST", "/entities", {{"Name", name}, {"EntityNo", entity_no}, {"EntityType", "Client"}});
        EXPECT_EQ(answer.status, 201U) << answer.body;
        return answer.json();
    }

    static json contact_body(const std::string& entity_id, const std::string& email, bool can_login = true,
                             bool send_welcome = true) {
        return {{"FirstName", "Ann"},
                {"LastName", "Lee"},
                {"Email", email},
                {"OwnerType", "Contact"},
                {"EntityId", entity_id},
                {"CanLogin", can_login},
                {"SendWelcomeEmail", send_welcome},
                {"WelcomeMessage", "Welcome to the portal"}};
    }

    json create_contact(const std::string& entity_id, const std::string& email) {
        const HttpResult answer = call("POST", "/users", contact_body(entity_id, email));
        EXPECT_EQ(answer.status, 201U) << answer.body;
        return answer.json();
    }

    json emulator_get(std::string_view what) {
        const HttpResult answer = client_->send("GET", "/_emulator/" + std::string(what));
        EXPECT_EQ(answer.status, 200U) << answer.body;
        return answer.json();
    }

    void set_faults(const json& plan) {
        const HttpResult answer = client_->send("POST", "/_emulator/faults", plan.dump());
        ASSERT_EQ(answer.status, 200U) << answer.body;
    }

    std::string role_id(const std::string& name) {
        const HttpResult answer = call("GET", "/roles?search=" + url_encode("Name='" + name + "'"));
        EXPECT_EQ(answer.status, 200U) << answer.body;
        EXPECT_EQ(answer.json().size(), 1U);
        return answer.json().at(0)["CWGuid"].get<std::string>();
    }

    /// Runs `work` on the server's thread: the emulator (and the clock it reads) belong to it.
    template <class Work>
    void on_server_thread(Work work) {
        std::promise<void> done;
        boost::asio::post(io_, [&] {
            work();
            done.set_value();
        });
        done.get_future().wait();
    }

    taxsync::testing::ManualClock clock_;
    sqlite::Database db_ = sqlite::Database::open_in_memory();
    Emulator emulator_{db_, clock_, Logger::null(), test_options()};
    boost::asio::io_context io_;
    HttpServer server_{io_, emulator_};
    std::thread io_thread_;
    std::uint16_t port_ = 0;
    std::optional<HttpTestClient> client_;
    std::string token_;
};

TEST(ListenAddress, ParsesHostAndPort) {
    auto v4 = parse_listen_address("127.0.0.1:0");
    ASSERT_TRUE(v4.has_value());
    EXPECT_TRUE(v4->address().is_loopback());
    EXPECT_EQ(v4->port(), 0);
    auto v6 = parse_listen_address("[::1]:8080");
    ASSERT_TRUE(v6.has_value());
    EXPECT_TRUE(v6->address().is_v6());
    EXPECT_EQ(v6->port(), 8080);
    EXPECT_TRUE(parse_listen_address("localhost:1")->address().is_loopback());
    EXPECT_FALSE(parse_listen_address("0.0.0.0:80")->address().is_loopback());
    EXPECT_TRUE(parse_listen_address("127.0.0.1").has_error());
    EXPECT_TRUE(parse_listen_address("127.0.0.1:70000").has_error());
    EXPECT_TRUE(parse_listen_address("example.com:80").has_error());
}

TEST(SeededEmulator, HandsOutTheSameIdsForTheSameSeed) {
    auto first_entity_id = [](std::uint64_t seed) {
        const taxsync::testing::ManualClock clock;
        sqlite::Database db = sqlite::Database::open_in_memory();
        EmulatorOptions options = test_options();
        options.id_seed = seed;
        Emulator emulator(db, clock, Logger::null(), options);
        return emulator.store().insert_entity("A", "k", "Client")["CWGuid"].get<std::string>();
    };
    EXPECT_EQ(first_entity_id(7), first_entity_id(7));
    EXPECT_NE(first_entity_id(7), first_entity_id(8));
}

// ---- Authentication

TEST_F(EmulatorHttpTest, ApiCallsNeedABearerTokenFromAuthToken) {
    const HttpResult anonymous = client_->send("GET", api("/entities"));
    EXPECT_EQ(anonymous.status, 401U);
    EXPECT_NE(anonymous.error_message().find("missing bearer token"), std::string::npos);

    token_ = "not-a-token";
    const HttpResult unknown = call("GET", "/entities");
    EXPECT_EQ(unknown.status, 401U);
    EXPECT_EQ(unknown.error_message(), "unknown token");

    EXPECT_EQ(request_token("wrong-secret").status, 401U);
    EXPECT_EQ(client_->send("POST", api("/auth/token"), R"({"ClientId":"x"})").status, 400U);

    authenticate();
    EXPECT_GE(token_.size(), 32U);
    const HttpResult listed = call("GET", "/entities");
    EXPECT_EQ(listed.status, 200U);
    EXPECT_EQ(listed.json(), json::array());
}

TEST_F(EmulatorHttpTest, TokensExpireAfterThirtyMinutes) {
    authenticate();
    on_server_thread([&] { clock_.advance(std::chrono::minutes(29)); });
    EXPECT_EQ(call("GET", "/roles").status, 200U);
    on_server_thread([&] { clock_.advance(std::chrono::minutes(2)); });
    const HttpResult expired = call("GET", "/roles");
    EXPECT_EQ(expired.status, 401U);
    EXPECT_NE(expired.error_message().find("expired"), std::string::npos);
    authenticate();
    EXPECT_EQ(call("GET", "/roles").status, 200U);
}

TEST_F(EmulatorHttpTest, AnotherFirmOrPathIsNotFound) {
    authenticate();
    EXPECT_EQ(
        client_->send("GET", "/other/ms/caseware-cloud/api/v2/entities", "", {{"Authorization", "Bearer " + token_}})
            .status,
        404U);
    EXPECT_EQ(call("GET", "/nothing-here").status, 404U);
    const HttpResult wrong_method = call("DELETE", "/users");
    EXPECT_EQ(wrong_method.status, 405U);
    EXPECT_EQ(wrong_method.headers.at("allow"), "GET, POST");
}

TEST_F(EmulatorHttpTest, KeepAliveServesManyRequestsOnOneConnection) {
    authenticate();
    for (int i = 0; i < 5; ++i) EXPECT_EQ(call("GET", "/roles").status, 200U);
    EXPECT_EQ(client_->connections_opened(), 1);
}

// ---- Entities

TEST_F(EmulatorHttpTest, EntityCreateGetPatchAndDuplicateKey) {
    authenticate();
    const json created = create_entity("ultratax:1001");
    const std::string id = created["CWGuid"].get<std::string>();
    EXPECT_EQ(id.size(), 36U);
    EXPECT_EQ(created["EntityNo"], "ultratax:1001");

    const HttpResult duplicate = call("POST", "/entities", {{"Name", "Other"}, {"EntityNo", "ultratax:1001"}});
    EXPECT_EQ(duplicate.status, 409U);
    EXPECT_NE(duplicate.error_message().find(id), std::string::npos);

    EXPECT_EQ(call("GET", "/entities/" + id).json()["Name"], "Acme LLC");
    const HttpResult patched = call("PATCH", "/entities/" + id, {{"Name", "Acme Holdings"}});
    EXPECT_EQ(patched.status, 200U);
    EXPECT_EQ(call("GET", "/entities/" + id).json()["Name"], "Acme Holdings");
    EXPECT_EQ(call("GET", "/entities/no-such-id").status, 404U);
}

TEST_F(EmulatorHttpTest, EntityValidationNamesTheField) {
    authenticate();
    const HttpResult no_name = call("POST", "/entities", {{"EntityNo", "k1"}});
    EXPECT_EQ(no_name.status, 400U);
    EXPECT_EQ(no_name.error_message(), "Name is required");
    const HttpResult wrong_type = call("POST", "/entities", {{"Name", "A"}, {"EntityNo", 17}});
    EXPECT_EQ(wrong_type.status, 400U);
    EXPECT_EQ(wrong_type.error_message(), "EntityNo must be a string");
    const HttpResult not_json =
        client_->send("POST", api("/entities"), "{oops", {{"Authorization", "Bearer " + token_}});
    EXPECT_EQ(not_json.status, 400U);
    EXPECT_TRUE(emulator_get("state")["entities"].empty());
}

TEST_F(EmulatorHttpTest, EntitySearchAndPaging) {
    authenticate();
    for (int i = 1; i <= 5; ++i) create_entity("cch:" + std::to_string(i), "Client " + std::to_string(i));
    create_entity("cch:6", "O'Brien & Sons");

    const HttpResult found = call("GET", "/entities?search=" + url_encode("EntityNo='cch:3'"));
    ASSERT_EQ(found.status, 200U);
    ASSERT_EQ(found.json().size(), 1U);
    EXPECT_EQ(found.json()[0]["Name"], "Client 3");

    const HttpResult escaped = call("GET", "/entities?search=" + url_encode(R"(Name='O\'Brien & Sons')"));
    ASSERT_EQ(escaped.json().size(), 1U);
    EXPECT_EQ(escaped.json()[0]["EntityNo"], "cch:6");

    EXPECT_EQ(call("GET", "/entities?search=" + url_encode("EntityNo='absent'")).json(), json::array());
    EXPECT_EQ(call("GET", "/entities?search=" + url_encode("EntityNo<>'cch:1'")).json().size(), 5U);
    EXPECT_EQ(call("GET", "/entities?search=" + url_encode("EntityNo>'cch:4'")).json().size(), 2U);

    const json page1 = call("GET", "/entities?page=1&pageSize=4").json();
    const json page2 = call("GET", "/entities?page=2&pageSize=4").json();
    const json page3 = call("GET", "/entities?page=3&pageSize=4").json();
    ASSERT_EQ(page1.size(), 4U);
    ASSERT_EQ(page2.size(), 2U);  // shorter than pageSize: the last page
    EXPECT_EQ(page3, json::array());
    EXPECT_EQ(page1[0]["EntityNo"], "cch:1");
    EXPECT_EQ(page2[1]["EntityNo"], "cch:6");

    EXPECT_EQ(call("GET", "/entities?pageSize=1000").status, 200U);
    const HttpResult too_big = call("GET", "/entities?pageSize=1001");
    EXPECT_EQ(too_big.status, 400U);
    EXPECT_NE(too_big.error_message().find("pageSize"), std::string::npos);
    EXPECT_EQ(call("GET", "/entities?page=0").status, 400U);

    const HttpResult unknown_field = call("GET", "/entities?search=" + url_encode("Secret='x'"));
    EXPECT_EQ(unknown_field.status, 400U);
    EXPECT_NE(unknown_field.error_message().find("unknown field Secret"), std::string::npos);
    EXPECT_EQ(call("GET", "/entities?search=" + url_encode("EntityNo='open")).status, 400U);
}

// ---- Users and the mailbox

TEST_F(EmulatorHttpTest, CreatingALoginContactSendsExactlyOneInvitation) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    const json user = create_contact(entity, "ann@example.com");
    EXPECT_EQ(user["Activated"], false);
    EXPECT_EQ(user["CanLogin"], true);
    EXPECT_EQ(user["EntityId"], entity);

    const json mailbox = emulator_get("mailbox");
    ASSERT_EQ(mailbox.size(), 1U);
    EXPECT_EQ(mailbox[0]["to"], "ann@example.com");
    EXPECT_EQ(mailbox[0]["entity"], entity);
    EXPECT_EQ(mailbox[0]["kind"], "invitation");
    EXPECT_EQ(mailbox[0]["message"], "Welcome to the portal");
    EXPECT_EQ(mailbox[0]["sent_at"].get<std::string>().back(), 'Z');
}

TEST_F(EmulatorHttpTest, NoEmailWithoutLoginOrWelcomeFlag) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    EXPECT_EQ(call("POST", "/users", contact_body(entity, "no-login@example.com", false, true)).status, 201U);
    EXPECT_EQ(call("POST", "/users", contact_body(entity, "no-welcome@example.com", true, false)).status, 201U);
    EXPECT_TRUE(emulator_get("mailbox").empty());
    EXPECT_EQ(emulator_get("state")["users"].size(), 2U);
}

TEST_F(EmulatorHttpTest, EmailUniquenessAndSearchIgnoreCase) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    const std::string id = create_contact(entity, "Ann.Lee@Example.com")["CWGuid"];
    const HttpResult duplicate = call("POST", "/users", contact_body(entity, "ann.lee@example.COM"));
    EXPECT_EQ(duplicate.status, 409U);
    const json found = call("GET", "/users?search=" + url_encode("Email='ANN.LEE@example.com'")).json();
    ASSERT_EQ(found.size(), 1U);
    EXPECT_EQ(found[0]["CWGuid"], id);
    EXPECT_EQ(emulator_get("mailbox").size(), 1U);
}

TEST_F(EmulatorHttpTest, UserValidation) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    json long_message = contact_body(entity, "a@example.com");
    long_message["WelcomeMessage"] = std::string(257, 'x');
    const HttpResult too_long = call("POST", "/users", long_message);
    EXPECT_EQ(too_long.status, 400U);
    EXPECT_NE(too_long.error_message().find("WelcomeMessage"), std::string::npos);
    long_message["WelcomeMessage"] = std::string(256, 'x');
    EXPECT_EQ(call("POST", "/users", long_message).status, 201U);

    json no_owner = contact_body(entity, "b@example.com");
    no_owner.erase("OwnerType");
    EXPECT_EQ(call("POST", "/users", no_owner).error_message(), "OwnerType is required");
    EXPECT_EQ(call("POST", "/users", contact_body("missing-entity", "c@example.com")).status, 400U);
    EXPECT_EQ(call("POST", "/users", contact_body(entity, "not-an-address")).status, 400U);
    json flag_as_text = contact_body(entity, "d@example.com");
    flag_as_text["CanLogin"] = "yes";
    EXPECT_EQ(call("POST", "/users", flag_as_text).error_message(), "CanLogin must be true or false");
    EXPECT_EQ(emulator_get("state")["users"].size(), 1U);
}

TEST_F(EmulatorHttpTest, UserPatchRequiresOwnerType) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    const std::string id = create_contact(entity, "ann@example.com")["CWGuid"];
    const HttpResult missing = call("PATCH", "/users/" + id, {{"InActiveDate", "2026-12-31"}});
    EXPECT_EQ(missing.status, 400U);
    EXPECT_NE(missing.error_message().find("OwnerType"), std::string::npos);
    EXPECT_TRUE(call("GET", "/users/" + id).json()["InActiveDate"].is_null());

    const HttpResult disabled =
        call("PATCH", "/users/" + id, {{"OwnerType", "Contact"}, {"InActiveDate", "2026-12-31"}});
    EXPECT_EQ(disabled.status, 200U) << disabled.body;
    EXPECT_EQ(call("GET", "/users/" + id).json()["InActiveDate"], "2026-12-31");
    EXPECT_EQ(call("PATCH", "/users/" + id, {{"OwnerType", "Contact"}, {"InActiveDate", "31/12/2026"}}).status, 400U);
    EXPECT_EQ(call("PATCH", "/users/" + id, {{"OwnerType", "Contact"}, {"InActiveDate", nullptr}}).status, 200U);
    EXPECT_TRUE(call("GET", "/users/" + id).json()["InActiveDate"].is_null());
}

TEST_F(EmulatorHttpTest, ReinvitationIsRefusedOnceActivated) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    const std::string id = create_contact(entity, "ann@example.com")["CWGuid"];
    const HttpResult again = call("POST", "/users/" + id + "/invitations", {{"WelcomeMessage", "Reminder"}});
    EXPECT_EQ(again.status, 202U);
    const json mailbox = emulator_get("mailbox");
    ASSERT_EQ(mailbox.size(), 2U);
    EXPECT_EQ(mailbox[1]["message"], "Reminder");

    EXPECT_EQ(client_->send("POST", "/_emulator/users/" + id + "/activate").status, 200U);
    EXPECT_EQ(call("GET", "/users/" + id).json()["Activated"], true);
    EXPECT_EQ(call("POST", "/users/" + id + "/invitations", json::object()).status, 409U);
    EXPECT_EQ(emulator_get("mailbox").size(), 2U);
    EXPECT_EQ(call("POST", "/users/unknown/invitations", json::object()).status, 404U);
}

// ---- Groups, roles, folders

TEST_F(EmulatorHttpTest, GroupsConflictAndMembership) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    const std::string user = create_contact(entity, "ann@example.com")["CWGuid"];
    const HttpResult created = call("POST", "/groups", {{"Name", "Client Contacts"}, {"GroupType", "Contact"}});
    ASSERT_EQ(created.status, 201U);
    const std::string group = created.json()["CWGuid"];
    EXPECT_EQ(call("POST", "/groups", {{"Name", "Client Contacts"}}).status, 409U);
    EXPECT_EQ(call("GET", "/groups?search=" + url_encode("Name='Client Contacts'")).json().size(), 1U);

    const json add{{"isRemove", false}, {"people", {user}}};
    EXPECT_EQ(call("PATCH", "/groups/" + group + "/user-assignments", add).status, 200U);
    const HttpResult again = call("PATCH", "/groups/" + group + "/user-assignments", add);
    EXPECT_EQ(again.status, 200U);
    EXPECT_EQ(again.json()["Members"], json::array({user}));
    EXPECT_EQ(emulator_get("state")["groups"][0]["Members"], json::array({user}));

    EXPECT_EQ(call("PATCH", "/groups/" + group + "/user-assignments", {{"people", {"ghost"}}}).status, 400U);
    const HttpResult removed =
        call("PATCH", "/groups/" + group + "/user-assignments", {{"isRemove", true}, {"people", {user}}});
    EXPECT_EQ(removed.json()["Members"], json::array());
}

TEST_F(EmulatorHttpTest, RolesIncludeThePredefinedContactRoles) {
    authenticate();
    const json roles = call("GET", "/roles").json();
    std::vector<std::string> names;
    for (const auto& role : roles) names.push_back(role["Name"]);
    EXPECT_NE(std::find(names.begin(), names.end(), "Contact - Entity Access"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "Contact - Entity Collaborator"), names.end());
    EXPECT_GE(names.size(), 3U);
}

TEST_F(EmulatorHttpTest, RoleAssignmentIsIdempotentAndRemovable) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    const std::string user = create_contact(entity, "ann@example.com")["CWGuid"];
    const std::string access = role_id("Contact - Entity Access");
    const json body{{"RoleId", access}, {"People", {user}}};
    EXPECT_EQ(call("POST", "/entities/" + entity + "/role-assignments", body).status, 200U);
    EXPECT_EQ(call("POST", "/entities/" + entity + "/role-assignments", body).status, 200U);
    const json assignments = call("GET", "/entities/" + entity + "/role-assignments").json();
    ASSERT_EQ(assignments.size(), 1U);
    EXPECT_EQ(assignments[0]["RoleId"], access);
    EXPECT_EQ(assignments[0]["PersonId"], user);

    EXPECT_EQ(
        call("POST", "/entities/" + entity + "/role-assignments", {{"RoleId", "nope"}, {"People", {user}}}).status,
        400U);
    EXPECT_EQ(call("POST", "/entities/" + entity + "/role-assignments", {{"RoleId", access}}).status, 400U);

    const HttpResult removed =
        call("DELETE", "/entities/" + entity + "/role-assignments?RoleId=" + access + "&PersonId=" + user);
    EXPECT_EQ(removed.status, 204U);
    EXPECT_TRUE(removed.body.empty());
    EXPECT_EQ(call("GET", "/entities/" + entity + "/role-assignments").json(), json::array());
    EXPECT_EQ(call("DELETE", "/entities/" + entity + "/role-assignments?RoleId=" + access).status, 400U);
}

TEST_F(EmulatorHttpTest, FoldersAreUniquePerParent) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    const std::string other_entity = create_entity("ultratax:2")["CWGuid"];
    const HttpResult root = call("POST", "/entities/" + entity + "/folders", {{"Name", "2025"}, {"ParentId", nullptr}});
    ASSERT_EQ(root.status, 201U);
    const std::string root_id = root.json()["CWGuid"];
    EXPECT_EQ(call("POST", "/entities/" + entity + "/folders", {{"Name", "2025"}}).status, 409U);
    EXPECT_EQ(call("POST", "/entities/" + other_entity + "/folders", {{"Name", "2025"}}).status, 201U);

    const HttpResult child =
        call("POST", "/entities/" + entity + "/folders", {{"Name", "2025"}, {"ParentId", root_id}});
    EXPECT_EQ(child.status, 201U);
    EXPECT_EQ(child.json()["ParentId"], root_id);
    const HttpResult foreign_parent =
        call("POST", "/entities/" + other_entity + "/folders", {{"Name", "Docs"}, {"ParentId", root_id}});
    EXPECT_EQ(foreign_parent.status, 400U);
    EXPECT_NE(foreign_parent.error_message().find("ParentId"), std::string::npos);
    EXPECT_EQ(call("GET", "/entities/" + entity + "/folders").json().size(), 2U);
    EXPECT_EQ(call("GET", "/entities/" + entity + "/folders?page=2&pageSize=1").json().at(0)["CWGuid"],
              child.json()["CWGuid"]);
    EXPECT_EQ(call("GET", "/entities/" + entity + "/folders?page=3&pageSize=1").json(), json::array());
    EXPECT_EQ(call("GET", "/entities/" + entity + "/folders?pageSize=1001").status, 400U);
}

TEST_F(EmulatorHttpTest, FolderPermissionsAreSetAndReplaced) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    const std::string user = create_contact(entity, "ann@example.com")["CWGuid"];
    const std::string folder = call("POST", "/entities/" + entity + "/folders", {{"Name", "Uploads"}}).json()["CWGuid"];
    EXPECT_EQ(call("PUT", "/folders/" + folder + "/permissions", {{"PersonId", user}, {"Access", "read"}}).status,
              200U);
    EXPECT_EQ(call("PUT", "/folders/" + folder + "/permissions", {{"PersonId", user}, {"Access", "upload"}}).status,
              200U);
    const json permissions = call("GET", "/folders/" + folder + "/permissions").json();
    ASSERT_EQ(permissions.size(), 1U);
    EXPECT_EQ(permissions[0]["PersonId"], user);
    EXPECT_EQ(permissions[0]["Access"], "upload");
    const HttpResult bad =
        call("PUT", "/folders/" + folder + "/permissions", {{"PersonId", user}, {"Access", "write"}});
    EXPECT_EQ(bad.status, 400U);
    EXPECT_NE(bad.error_message().find("Access"), std::string::npos);
    EXPECT_EQ(call("GET", "/folders/unknown/permissions").status, 404U);
}

TEST_F(EmulatorHttpTest, FileRequestsNeedCollaboratorsAndEmailThem) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    const std::string user = create_contact(entity, "ann@example.com")["CWGuid"];
    const json request{{"Type", "FileRequest"},  {"EntityId", entity},         {"Recipients", {user}},
                       {"Subject", "2025 docs"}, {"Message", "Please upload"}, {"Attachments", json::array()}};
    const HttpResult refused = call("POST", "/activities", request);
    EXPECT_EQ(refused.status, 400U);
    EXPECT_NE(refused.error_message().find("Contact - Entity Collaborator"), std::string::npos);

    // Entity Access is not enough.
    call("POST", "/entities/" + entity + "/role-assignments",
         {{"RoleId", role_id("Contact - Entity Access")}, {"People", {user}}});
    EXPECT_EQ(call("POST", "/activities", request).status, 400U);

    call("POST", "/entities/" + entity + "/role-assignments",
         {{"RoleId", role_id("Contact - Entity Collaborator")}, {"People", {user}}});
    const HttpResult created = call("POST", "/activities", request);
    EXPECT_EQ(created.status, 201U) << created.body;
    const json mailbox = emulator_get("mailbox");
    ASSERT_EQ(mailbox.size(), 2U);  // the invitation, then the file request
    EXPECT_EQ(mailbox[1]["kind"], "file_request");
    EXPECT_EQ(mailbox[1]["to"], "ann@example.com");
    EXPECT_EQ(mailbox[1]["entity"], entity);
    EXPECT_EQ(mailbox[1]["message"], "Please upload");

    json wrong_type = request;
    wrong_type["Type"] = "Task";
    EXPECT_EQ(call("POST", "/activities", wrong_type).status, 400U);
    json no_subject = request;
    no_subject.erase("Subject");
    EXPECT_EQ(call("POST", "/activities", no_subject).error_message(), "Subject is required");
    EXPECT_EQ(emulator_get("state")["activities"].size(), 1U);
}

// ---- Idempotency-Key

TEST_F(EmulatorHttpTest, IdempotencyKeyReplaysTheFirstAnswer) {
    authenticate();
    const json body{{"Name", "Acme"}, {"EntityNo", "ultratax:9"}};
    const HttpResult first = call("POST", "/entities", body, {{"Idempotency-Key", "\"key-1\""}});
    ASSERT_EQ(first.status, 201U);
    const HttpResult second = call("POST", "/entities", body, {{"Idempotency-Key", "\"key-1\""}});
    EXPECT_EQ(second.status, 201U);
    EXPECT_EQ(second.json()["CWGuid"], first.json()["CWGuid"]);
    EXPECT_EQ(second.headers.count("idempotent-replayed"), 1U);
    EXPECT_EQ(emulator_get("state")["entities"].size(), 1U);

    const HttpResult changed =
        call("POST", "/entities", {{"Name", "Acme"}, {"EntityNo", "ultratax:10"}}, {{"Idempotency-Key", "\"key-1\""}});
    EXPECT_EQ(changed.status, 422U);
    EXPECT_EQ(emulator_get("state")["entities"].size(), 1U);

    // Without a key the same body is a new request, and the duplicate key is a 409.
    EXPECT_EQ(call("POST", "/entities", body).status, 409U);

    const json log = emulator_get("requests");
    EXPECT_EQ(log[1]["idempotency_key"], "key-1");
    EXPECT_EQ(log[1]["replayed"], false);
    EXPECT_EQ(log[2]["replayed"], true);
}

TEST_F(EmulatorHttpTest, ValidationFailuresDoNotConsumeTheKey) {
    authenticate();
    EXPECT_EQ(call("POST", "/entities", {{"Name", "Acme"}}, {{"Idempotency-Key", "k"}}).status, 400U);
    EXPECT_EQ(call("POST", "/entities", {{"Name", "Acme"}, {"EntityNo", "x"}}, {{"Idempotency-Key", "k"}}).status,
              201U);
}

TEST_F(EmulatorHttpTest, KeyStillInProgressIsAConflict) {
    authenticate();
    set_faults({{"rules", {{{"method", "POST"}, {"path", "/entities"}, {"delay_ms", 600}, {"times", 1}}}}});
    const json body{{"Name", "Slow"}, {"EntityNo", "ultratax:slow"}};
    HttpTestClient slow_client(port_);
    auto slow = std::async(std::launch::async, [&] {
        return call("POST", "/entities", body, {{"Idempotency-Key", "slow-key"}}, &slow_client);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    const HttpResult concurrent = call("POST", "/entities", body, {{"Idempotency-Key", "slow-key"}});
    EXPECT_EQ(concurrent.status, 409U);
    EXPECT_NE(concurrent.error_message().find("still being processed"), std::string::npos);
    EXPECT_EQ(slow.get().status, 201U);
    EXPECT_EQ(emulator_get("state")["entities"].size(), 1U);
}

// ---- Faults

TEST_F(EmulatorHttpTest, StatusFaultAnswersWithRetryAfterWithoutApplying) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    set_faults(
        {{"rules", {{{"method", "POST"}, {"path", "/users"}, {"status", 503}, {"times", 2}, {"retry_after", 1}}}}});
    for (int attempt = 0; attempt < 2; ++attempt) {
        const HttpResult refused = call("POST", "/users", contact_body(entity, "ann@example.com"));
        EXPECT_EQ(refused.status, 503U);
        EXPECT_EQ(refused.headers.at("retry-after"), "1");
    }
    EXPECT_TRUE(emulator_get("state")["users"].empty());
    EXPECT_EQ(call("GET", "/users").status, 200U);  // GET does not match the rule
    EXPECT_EQ(call("POST", "/users", contact_body(entity, "ann@example.com")).status, 201U);
    EXPECT_EQ(emulator_get("mailbox").size(), 1U);
    EXPECT_EQ(emulator_get("faults")["rules"][0]["fired"], 2);

    const json log = emulator_get("requests");
    int faulted = 0;
    for (const auto& entry : log) faulted += entry["fault"] == "status" ? 1 : 0;
    EXPECT_EQ(faulted, 2);
}

TEST_F(EmulatorHttpTest, RateLimitFaultMatchesEveryPathWithStar) {
    authenticate();
    set_faults({{"rules", {{{"path", "*"}, {"status", 429}, {"retry_after", 3}, {"times", 1}}}}});
    const HttpResult limited = call("GET", "/roles");
    EXPECT_EQ(limited.status, 429U);
    EXPECT_EQ(limited.headers.at("retry-after"), "3");
    EXPECT_EQ(call("GET", "/roles").status, 200U);
}

TEST_F(EmulatorHttpTest, DropBeforeAppliesNothing) {
    authenticate();
    set_faults({{"rules", {{{"method", "POST"}, {"path", "/entities"}, {"drop", "before"}, {"times", 1}}}}});
    const HttpResult lost = call("POST", "/entities", {{"Name", "A"}, {"EntityNo", "k1"}}, {{"Idempotency-Key", "d1"}});
    EXPECT_TRUE(lost.dropped);
    EXPECT_TRUE(emulator_get("state")["entities"].empty());
    // Nothing was stored for the key either: the retry is applied for real.
    const HttpResult retry =
        call("POST", "/entities", {{"Name", "A"}, {"EntityNo", "k1"}}, {{"Idempotency-Key", "d1"}});
    EXPECT_EQ(retry.status, 201U);
    EXPECT_EQ(retry.headers.count("idempotent-replayed"), 0U);
    const json log = emulator_get("requests");
    EXPECT_EQ(log[1]["fault"], "drop_before");
    EXPECT_EQ(log[1]["status"], 0);
}

TEST_F(EmulatorHttpTest, DropAfterAppliesButLosesTheAnswer) {
    authenticate();
    set_faults({{"rules", {{{"method", "POST"}, {"path", "/entities"}, {"drop", "after"}, {"times", 1}}}}});
    const json body{{"Name", "A"}, {"EntityNo", "k1"}};
    const HttpResult lost = call("POST", "/entities", body, {{"Idempotency-Key", "d2"}});
    EXPECT_TRUE(lost.dropped);
    const json entities = emulator_get("state")["entities"];
    ASSERT_EQ(entities.size(), 1U);
    // A retry with the same key gets the answer that was lost.
    const HttpResult retry = call("POST", "/entities", body, {{"Idempotency-Key", "d2"}});
    EXPECT_EQ(retry.status, 201U);
    EXPECT_EQ(retry.json()["CWGuid"], entities[0]["CWGuid"]);
    EXPECT_EQ(emulator_get("state")["entities"].size(), 1U);
    // Without a key, the look-up the adapter must do finds it.
    EXPECT_EQ(call("GET", "/entities?search=" + url_encode("EntityNo='k1'")).json().size(), 1U);
}

TEST_F(EmulatorHttpTest, DelayIsAddedWithoutBlockingOtherConnections) {
    authenticate();
    set_faults({{"rules", {{{"method", "GET"}, {"path", "/roles"}, {"delay_ms", 500}}}}});
    HttpTestClient slow_client(port_);
    const auto started = std::chrono::steady_clock::now();
    auto slow = std::async(std::launch::async, [&] { return call("GET", "/roles", nullptr, {}, &slow_client); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto quick_started = std::chrono::steady_clock::now();
    EXPECT_EQ(call("GET", "/entities").status, 200U);
    const auto quick_elapsed = std::chrono::steady_clock::now() - quick_started;
    EXPECT_LT(quick_elapsed, std::chrono::milliseconds(300));
    EXPECT_EQ(slow.get().status, 200U);
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
    const json log = emulator_get("requests");
    EXPECT_EQ(log.back()["delay_ms"], 500);
    EXPECT_GE(log.back()["duration_ms"], 500);
}

TEST_F(EmulatorHttpTest, ExpireTokensInvalidatesEveryIssuedToken) {
    authenticate();
    const std::string old_token = token_;
    set_faults({{"expire_tokens", true}, {"rules", json::array()}});
    const HttpResult refused = call("GET", "/roles");
    EXPECT_EQ(refused.status, 401U);
    EXPECT_NE(refused.error_message().find("expired"), std::string::npos);
    authenticate();
    EXPECT_NE(token_, old_token);
    EXPECT_EQ(call("GET", "/roles").status, 200U);
}

TEST_F(EmulatorHttpTest, TokenExpiryRuleFiresInTheMiddleOfASequence) {
    authenticate();
    set_faults({{"rules", {{{"method", "GET"}, {"path", "/entities"}, {"expire_tokens", true}, {"times", 1}}}}});
    EXPECT_EQ(call("GET", "/roles").status, 200U);
    const HttpResult expired = call("GET", "/entities");
    EXPECT_EQ(expired.status, 401U);
    EXPECT_NE(expired.error_message().find("expired"), std::string::npos);
    authenticate();
    EXPECT_EQ(call("GET", "/entities").status, 200U);  // fired once: the new token lives on
}

TEST_F(EmulatorHttpTest, PlanLoadedAtStartIsInForce) {
    bool loaded = false;
    bool refused = false;
    on_server_thread([&] {
        loaded = emulator_.load_faults(R"({"seed": 5, "rules": [{"path": "/roles", "status": 502, "times": 1}]})")
                     .has_value();
    });
    ASSERT_TRUE(loaded);
    authenticate();
    EXPECT_EQ(call("GET", "/roles").status, 502U);
    EXPECT_EQ(call("GET", "/roles").status, 200U);
    EXPECT_EQ(emulator_get("faults")["seed"], 5);
    on_server_thread([&] { refused = emulator_.load_faults(R"({"rules": [{"path": "*", "delay": 5}]})").has_error(); });
    EXPECT_TRUE(refused);
}

TEST_F(EmulatorHttpTest, PostingAnEmptyPlanClearsFaults) {
    authenticate();
    set_faults({{"rules", {{{"path", "*"}, {"status", 500}}}}});
    EXPECT_EQ(call("GET", "/roles").status, 500U);
    set_faults({{"rules", json::array()}});
    EXPECT_EQ(call("GET", "/roles").status, 200U);
    EXPECT_EQ(client_->send("POST", "/_emulator/faults", R"({"rules":[{"path":"*","delay":5}]})").status, 400U);
}

// ---- Emulator endpoints

TEST_F(EmulatorHttpTest, RequestLogShowsSearchBeforeCreate) {
    authenticate();
    call("GET", "/entities?search=" + url_encode("EntityNo='ultratax:7'"));
    create_entity("ultratax:7");
    const json log = emulator_get("requests");
    ASSERT_EQ(log.size(), 3U);  // token, search, create; emulator endpoints are not logged
    EXPECT_EQ(log[0]["path"], "/auth/token");
    EXPECT_EQ(log[1]["method"], "GET");
    EXPECT_EQ(log[1]["path"], "/entities");
    EXPECT_NE(log[1]["query"].get<std::string>().find("search="), std::string::npos);
    EXPECT_EQ(log[2]["method"], "POST");
    EXPECT_EQ(log[2]["status"], 201);
    EXPECT_EQ(client_->send("GET", "/_emulator/requests?since=2").json().size(), 1U);
}

TEST_F(EmulatorHttpTest, ResetWipesEverythingButRoles) {
    authenticate();
    const std::string entity = create_entity("ultratax:1")["CWGuid"];
    create_contact(entity, "ann@example.com");
    set_faults({{"rules", {{{"path", "/nothing"}, {"status", 500}}}}});
    EXPECT_EQ(client_->send("POST", "/_emulator/reset").status, 200U);
    const json state = emulator_get("state");
    EXPECT_TRUE(state["entities"].empty());
    EXPECT_TRUE(state["users"].empty());
    EXPECT_EQ(state["roles"].size(), 4U);
    EXPECT_TRUE(emulator_get("mailbox").empty());
    EXPECT_TRUE(emulator_get("faults")["rules"].empty());
    EXPECT_TRUE(emulator_get("requests").empty());
    EXPECT_EQ(call("GET", "/roles").status, 200U);  // tokens survive a reset
}

}  // namespace
}  // namespace taxsync::emulator
