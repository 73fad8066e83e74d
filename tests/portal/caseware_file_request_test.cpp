// CaseWare Cloud file requests: the activity body, the organizer lookup, and lost answers.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "portal/caseware/caseware_portal.hpp"
#include "tests/support/fake_http.hpp"
#include "tests/support/manual_clock.hpp"

namespace taxsync::portal::caseware {
namespace {

using nlohmann::json;
using testing::FakeHttp;
using testing::respond;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class CasewareFileRequestTest : public ::testing::Test {
protected:
    CasewarePortal make(FakeHttp& http) {
        Settings settings;
        settings.base_url = "http://127.0.0.1:9/demo";
        settings.client_id = "taxsync";
        settings.client_secret = "s3cret-value";
        settings.retry = {4, Millis{10}, Millis{50}, Millis{60'000}};
        return {settings, http, clock, log};
    }

    // A portal with folders 2025 > Organizer on entity E1, holding "1001I Organizer.pdf".
    Expected<HttpResponse, TransportError> answer(const HttpRequest& request) {
        if (contains(request.url, "/auth/token")) return respond(200, json{{"Token", "tok"}}.dump());
        if (request.method == "GET" && contains(request.url, "/entities/E1/folders")) {
            return respond(200, json::array({{{"CWGuid", "F1"}, {"Name", "2025"}, {"ParentId", nullptr}},
                                             {{"CWGuid", "F2"}, {"Name", "Organizer"}, {"ParentId", "F1"}},
                                             {{"CWGuid", "F3"}, {"Name", "Organizer"}, {"ParentId", nullptr}}})
                                    .dump());
        }
        if (request.method == "GET" && contains(request.url, "/folders/F2/documents")) {
            return respond(200, json::array({{{"CWGuid", "D9"}, {"Name", "Notes.txt"}},
                                             {{"CWGuid", "D1"}, {"Name", "1001I Organizer.PDF"}}})
                                    .dump());
        }
        if (request.method == "POST" && contains(request.url, "/activities")) {
            ++activities_posted;
            if (lose_answer) return unexpected(TransportError{TransportFailure::TimedOut, "timeout"});
            return respond(201, json{{"CWGuid", "A1"}}.dump());
        }
        return respond(404, R"({"errors":[{"message":"no such endpoint"}]})");
    }

    FileRequest request(std::string folder, std::string file) const {
        return {EntityId("E1"), {ContactId("U1")}, "Your 2025 documents", "What we need",
                "Dear Ann",     std::move(folder), std::move(file)};
    }

    static json activity_body(const FakeHttp& http) {
        for (const auto& sent : http.requests) {
            if (sent.method == "POST" && contains(sent.url, "/activities")) return json::parse(sent.body);
        }
        return {};
    }

    testing::ManualClock clock;
    Logger log = Logger::null();
    int activities_posted = 0;
    bool lose_answer = false;
};

TEST_F(CasewareFileRequestTest, SendsTheDocumentedActivityAndAttachesTheOrganizerWhenThePortalHoldsIt) {
    FakeHttp http([this](const HttpRequest& r) { return answer(r); });
    auto portal = make(http);
    EXPECT_TRUE(portal.capabilities().file_requests);
    auto result = portal.request_files(request("2025/Organizer", "1001i organizer.pdf"), "key-1");
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->id, "A1");
    EXPECT_TRUE(result->attached);
    EXPECT_TRUE(result->note.empty());
    const json body = activity_body(http);
    EXPECT_EQ(body["Type"], "FileRequest");
    EXPECT_EQ(body["EntityId"], "E1");
    EXPECT_EQ(body["Recipients"], json::array({"U1"}));
    EXPECT_EQ(body["Subject"], "Your 2025 documents");
    EXPECT_EQ(body["Description"], "What we need");
    EXPECT_EQ(body["Message"], "Dear Ann");
    EXPECT_EQ(body["Attachments"], json::array({"D1"}));
}

TEST_F(CasewareFileRequestTest, AMissingFileOrFolderIsNotAnErrorTheRequestGoesWithoutIt) {
    FakeHttp http([this](const HttpRequest& r) { return answer(r); });
    auto portal = make(http);
    auto missing_file = portal.request_files(request("2025/Organizer", "Other.pdf"), "key-1");
    ASSERT_TRUE(missing_file.has_value()) << missing_file.error().message;
    EXPECT_FALSE(missing_file->attached);
    EXPECT_TRUE(contains(missing_file->note, "2025/Organizer/Other.pdf")) << missing_file->note;
    EXPECT_EQ(activity_body(http)["Attachments"], json::array());

    // "2024/Organizer" does not exist; "Organizer" at the top is not "2025/Organizer".
    auto missing_folder = portal.request_files(request("2024/Organizer", "1001I Organizer.pdf"), "key-2");
    ASSERT_TRUE(missing_folder.has_value());
    EXPECT_FALSE(missing_folder->attached);
    EXPECT_EQ(http.count("GET", "/folders/F3/documents"), 0U);
}

TEST_F(CasewareFileRequestTest, APortalThatListsNoDocumentsSendsWithoutAttachment) {
    FakeHttp http([this](const HttpRequest& r) { return answer(r); });
    auto portal = make(http);
    // F1 ("2025") has no document listing here: the portal answers 404.
    auto result = portal.request_files(request("2025", "1001I Organizer.pdf"), "key-1");
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_FALSE(result->attached);
    EXPECT_EQ(activities_posted, 1);
}

TEST_F(CasewareFileRequestTest, NoAttachmentAskedMeansNoLookup) {
    FakeHttp http([this](const HttpRequest& r) { return answer(r); });
    auto portal = make(http);
    ASSERT_TRUE(portal.request_files(request("", ""), "key-1").has_value());
    EXPECT_EQ(http.count("GET", "/folders"), 0U);
}

TEST_F(CasewareFileRequestTest, ALostAnswerIsAmbiguousAndNeverResentBlindly) {
    lose_answer = true;
    FakeHttp http([this](const HttpRequest& r) { return answer(r); });
    auto portal = make(http);
    auto result = portal.request_files(request("", ""), "key-1");
    ASSERT_TRUE(result.has_error());
    EXPECT_EQ(result.error().kind, ErrorKind::Ambiguous);
    EXPECT_EQ(activities_posted, 1);
}

TEST_F(CasewareFileRequestTest, RefusalByThePortalIsRejected) {
    FakeHttp http([](const HttpRequest& request) -> Expected<HttpResponse, TransportError> {
        if (contains(request.url, "/auth/token")) return respond(200, json{{"Token", "tok"}}.dump());
        return respond(400, R"({"errors":[{"message":"Recipients[0]: user U1 does not hold the role"}]})");
    });
    auto portal = make(http);
    auto result = portal.request_files(request("", ""), "key-1");
    ASSERT_TRUE(result.has_error());
    EXPECT_EQ(result.error().kind, ErrorKind::Rejected);
    EXPECT_TRUE(contains(result.error().message, "does not hold the role")) << result.error().message;
}

// A portal without file requests says so instead of pretending.
class MinimalPortal final : public Portal {
public:
    [[nodiscard]] std::string_view dialect() const override { return "minimal"; }
    [[nodiscard]] const Capabilities& capabilities() const override { return capabilities_; }
    Status connect() override { return ok(); }
    Expected<std::optional<Entity>> find_entity(std::string_view) override { return std::optional<Entity>(); }
    Expected<CreateResult<Entity>> create_entity(const NewEntity&, std::string_view) override {
        return fail(ErrorKind::Internal, "unused");
    }
    Status rename_entity(const EntityId&, std::string_view) override { return ok(); }
    Expected<std::optional<Contact>> find_contact(std::string_view) override { return std::optional<Contact>(); }
    Expected<CreateResult<Contact>> create_contact(const NewContact&, std::string_view) override {
        return fail(ErrorKind::Internal, "unused");
    }
    Status update_contact(const ContactId&, const ContactChanges&) override { return ok(); }
    Status invite_contact(const ContactId&, std::string_view, std::string_view) override { return ok(); }
    Status share_entity(const EntityId&, const ContactId&, std::string_view) override { return ok(); }
    Expected<GroupId> ensure_group(std::string_view) override { return GroupId("g"); }
    Status add_to_group(const GroupId&, const ContactId&) override { return ok(); }
    Expected<FolderId> ensure_folder(const EntityId&, std::string_view) override { return FolderId("f"); }
    Status set_folder_access(const FolderId&, const ContactId&, FolderAccess) override { return ok(); }

private:
    Capabilities capabilities_;
};

TEST(PortalDefaults, FileRequestsAreRefusedByAPortalThatDoesNotOfferThem) {
    MinimalPortal portal;
    EXPECT_FALSE(portal.capabilities().file_requests);
    auto result = portal.request_files({}, "key");
    ASSERT_TRUE(result.has_error());
    EXPECT_EQ(result.error().kind, ErrorKind::Rejected);
    EXPECT_EQ(result.error().message, "this portal does not support file requests");
}

}  // namespace
}  // namespace taxsync::portal::caseware
