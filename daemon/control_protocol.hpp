#pragma once
// The local control channel (a Unix socket on Linux, a named pipe on Windows): one JSON object per
// line each way, in the style of Kea's control channel.
//   request:  {"command": "status", "arguments": {}}
//   reply:    {"result": 0, "text": "one line for people", "arguments": {...}}
// Commands: status, sync-now, reload, pause, resume.

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace taxsync::daemon {

enum class ControlResult { Ok = 0, Error = 1, Unsupported = 2 };

struct ControlRequest {
    std::string command;
    nlohmann::json arguments = nlohmann::json::object();
};

struct ControlReply {
    ControlResult result = ControlResult::Ok;
    std::string text;
    nlohmann::json arguments = nlohmann::json::object();
};

/// Answers one request; `reply` may be called later (a reload answers once it has finished).
using ControlHandler = std::function<void(const ControlRequest& request, std::function<void(ControlReply)> reply)>;

/// One line of JSON (no trailing newline) and back. A malformed line is an Error reply, never a throw.
std::string encode_request(const ControlRequest& request);
std::string encode_reply(const ControlReply& reply);
ControlRequest decode_request(const std::string& line, std::string& error);
ControlReply decode_reply(const std::string& line);

}  // namespace taxsync::daemon
