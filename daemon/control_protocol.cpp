#include "daemon/control_protocol.hpp"

namespace taxsync::daemon {

std::string encode_request(const ControlRequest& request) {
    return nlohmann::json{{"command", request.command}, {"arguments", request.arguments}}.dump();
}

std::string encode_reply(const ControlReply& reply) {
    return nlohmann::json{{"result", static_cast<int>(reply.result)}, {"text", reply.text}, {"arguments", reply.arguments}}
        .dump();
}

ControlRequest decode_request(const std::string& line, std::string& error) {
    ControlRequest request;
    const nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
    if (!json.is_object() || !json.contains("command") || !json["command"].is_string()) {
        error = "a request is one JSON object with a \"command\" string";
        return request;
    }
    request.command = json["command"].get<std::string>();
    if (json.contains("arguments") && json["arguments"].is_object()) request.arguments = json["arguments"];
    return request;
}

ControlReply decode_reply(const std::string& line) {
    const nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
    if (!json.is_object() || !json.contains("result") || !json["result"].is_number_integer()) {
        return {ControlResult::Error, "the service sent an answer taxsync cannot read", nlohmann::json::object()};
    }
    ControlReply reply;
    const int result = json["result"].get<int>();
    reply.result = result == 0 ? ControlResult::Ok : result == 2 ? ControlResult::Unsupported : ControlResult::Error;
    reply.text = json.value("text", "");
    if (json.contains("arguments") && json["arguments"].is_object()) reply.arguments = json["arguments"];
    return reply;
}

}  // namespace taxsync::daemon
