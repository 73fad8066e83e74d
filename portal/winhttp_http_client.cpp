#include "portal/winhttp_http_client.hpp"

#include <windows.h>
// windows.h first: winhttp.h needs its types.
#include <winhttp.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "core/text.hpp"

namespace taxsync::portal {
namespace {

std::wstring widen(std::string_view utf8) {
    if (utf8.empty()) return {};
    const int length = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
    std::wstring wide(static_cast<std::size_t>(length), L'\0');
    MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), wide.data(), length);
    return wide;
}

std::string narrow(std::wstring_view wide) {
    if (wide.empty()) return {};
    const int length =
        WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0, nullptr, nullptr);
    std::string utf8(static_cast<std::size_t>(length), '\0');
    WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), utf8.data(), length, nullptr, nullptr);
    return utf8;
}

std::string describe(DWORD code) {
    wchar_t* text = nullptr;
    // WinHTTP's messages live in winhttp.dll, not in the system table.
    const DWORD length =
        FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_FROM_SYSTEM |
                           FORMAT_MESSAGE_IGNORE_INSERTS,
                       GetModuleHandleW(L"winhttp.dll"), code, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
    std::string message = length > 0 ? std::string(trim(narrow({text, length}))) : std::string("WinHTTP error");
    if (text != nullptr) LocalFree(text);
    return message + " (error " + std::to_string(code) + ")";
}

// The request never reached the server: nothing can have been applied.
bool failed_before_sending(DWORD code) {
    switch (code) {
        case ERROR_WINHTTP_CANNOT_CONNECT:
        case ERROR_WINHTTP_NAME_NOT_RESOLVED:
        case ERROR_WINHTTP_SECURE_FAILURE:
        case ERROR_WINHTTP_SECURE_INVALID_CA:
        case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
        case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
        case ERROR_WINHTTP_SECURE_CERT_REVOKED:
        case ERROR_WINHTTP_SECURE_INVALID_CERT:
        case ERROR_WINHTTP_INVALID_URL:
        case ERROR_WINHTTP_UNRECOGNIZED_SCHEME: return true;
        default: return false;
    }
}

TransportError transport_error(DWORD code, bool sending) {
    if (sending && failed_before_sending(code)) return {TransportFailure::NotSent, describe(code)};
    if (code == ERROR_WINHTTP_TIMEOUT) return {TransportFailure::TimedOut, describe(code)};
    return {TransportFailure::ConnectionLost, describe(code)};
}

int milliseconds(std::chrono::seconds duration) { return static_cast<int>(duration.count() * 1000); }

}  // namespace

void WinHttpClient::CloseHandle::operator()(void* handle) const { WinHttpCloseHandle(handle); }

namespace {

using OwnedHandle = std::unique_ptr<void, WinHttpClient::CloseHandle>;

OwnedHandle own(HINTERNET native) { return OwnedHandle(native); }

}  // namespace

WinHttpClient::WinHttpClient(HttpClientSettings settings) : settings_(std::move(settings)) {
    if (!settings_.ca_file.empty()) throw std::invalid_argument("a CA file is not supported by the WinHTTP client");
    session_ = own(WinHttpOpen(widen(settings_.user_agent).c_str(), WINHTTP_ACCESS_TYPE_DEFAULT_PROXY,
                               WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0));
    if (!session_) throw std::runtime_error("WinHttpOpen failed: " + describe(GetLastError()));
    DWORD protocols = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 | 0x00002000U;  // TLS 1.2, and 1.3 where the system has it
    if (!WinHttpSetOption(session_.get(), WINHTTP_OPTION_SECURE_PROTOCOLS, &protocols, sizeof protocols)) {
        protocols = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2;  // systems before TLS 1.3 refuse its flag
        WinHttpSetOption(session_.get(), WINHTTP_OPTION_SECURE_PROTOCOLS, &protocols, sizeof protocols);
    }
    DWORD redirects = WINHTTP_OPTION_REDIRECT_POLICY_NEVER;
    WinHttpSetOption(session_.get(), WINHTTP_OPTION_REDIRECT_POLICY, &redirects, sizeof redirects);
    // WinHTTP has no whole-request limit: connect within connect_timeout, and no single send or
    // wait for data longer than total_timeout.
    const int connect = milliseconds(settings_.connect_timeout);
    const int total = milliseconds(settings_.total_timeout);
    WinHttpSetTimeouts(session_.get(), connect, connect, total, total);
}

Expected<HttpResponse, TransportError> WinHttpClient::send(const HttpRequest& request) {
    if (auto allowed = check_url_allowed(request.url); allowed.has_error()) {
        return unexpected(TransportError{TransportFailure::NotSent, allowed.error().message});
    }
    const std::wstring url = widen(request.url);
    URL_COMPONENTS parts{};
    parts.dwStructSize = sizeof parts;
    parts.dwHostNameLength = static_cast<DWORD>(-1);
    parts.dwUrlPathLength = static_cast<DWORD>(-1);
    parts.dwExtraInfoLength = static_cast<DWORD>(-1);
    parts.dwSchemeLength = static_cast<DWORD>(-1);
    if (!WinHttpCrackUrl(url.c_str(), static_cast<DWORD>(url.size()), 0, &parts)) {
        return unexpected(
            TransportError{TransportFailure::NotSent, "'" + request.url + "': " + describe(GetLastError())});
    }
    const bool secure = parts.nScheme == INTERNET_SCHEME_HTTPS;
    std::wstring host(parts.lpszHostName, parts.dwHostNameLength);
    if (host.size() >= 2 && host.front() == L'[' && host.back() == L']') host = host.substr(1, host.size() - 2);
    std::wstring path(parts.lpszUrlPath, parts.dwUrlPathLength);
    path.append(parts.lpszExtraInfo, parts.dwExtraInfoLength);
    if (path.empty()) path = L"/";

    const OwnedHandle connection = own(WinHttpConnect(session_.get(), host.c_str(), parts.nPort, 0));
    if (!connection) return unexpected(transport_error(GetLastError(), true));
    const OwnedHandle handle =
        own(WinHttpOpenRequest(connection.get(), widen(request.method).c_str(), path.c_str(), nullptr,
                               WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, secure ? WINHTTP_FLAG_SECURE : 0));
    if (!handle) return unexpected(transport_error(GetLastError(), true));
    if (request.never_resend) {
        // A connection of its own that is closed afterwards: never a reused keep-alive connection
        // that may die under a request the portal has already applied.
        DWORD feature = WINHTTP_DISABLE_KEEP_ALIVE;
        WinHttpSetOption(handle.get(), WINHTTP_OPTION_DISABLE_FEATURE, &feature, sizeof feature);
    }

    std::wstring headers;
    for (const auto& [name, value] : request.headers) headers += widen(name + ": " + value + "\r\n");
    // Certificate checks stay at WinHTTP's defaults (all on); no SECURITY_FLAG_IGNORE_* is ever set.
    const BOOL sent =
        WinHttpSendRequest(handle.get(), headers.empty() ? WINHTTP_NO_ADDITIONAL_HEADERS : headers.c_str(),
                           headers.empty() ? 0 : static_cast<DWORD>(-1),
                           request.body.empty() ? WINHTTP_NO_REQUEST_DATA : const_cast<char*>(request.body.data()),
                           static_cast<DWORD>(request.body.size()), static_cast<DWORD>(request.body.size()), 0);
    if (!sent) return unexpected(transport_error(GetLastError(), true));
    if (!WinHttpReceiveResponse(handle.get(), nullptr)) return unexpected(transport_error(GetLastError(), false));

    HttpResponse response;
    DWORD status = 0;
    DWORD status_size = sizeof status;
    WinHttpQueryHeaders(handle.get(), WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                        WINHTTP_HEADER_NAME_BY_INDEX, &status, &status_size, WINHTTP_NO_HEADER_INDEX);
    response.status = static_cast<int>(status);

    DWORD header_bytes = 0;
    WinHttpQueryHeaders(handle.get(), WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, nullptr,
                        &header_bytes, WINHTTP_NO_HEADER_INDEX);
    std::wstring raw(header_bytes / sizeof(wchar_t), L'\0');
    if (!raw.empty() && WinHttpQueryHeaders(handle.get(), WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX,
                                            raw.data(), &header_bytes, WINHTTP_NO_HEADER_INDEX)) {
        raw.resize(header_bytes / sizeof(wchar_t));
        for (const auto& line : split(narrow(raw), '\n')) {
            const std::string_view text = trim(line);
            const auto colon = text.find(':');
            if (colon == std::string_view::npos || text.rfind("HTTP/", 0) == 0) continue;
            response.headers[to_lower_ascii(trim(text.substr(0, colon)))] = std::string(trim(text.substr(colon + 1)));
        }
    }

    for (;;) {
        DWORD available = 0;
        if (!WinHttpQueryDataAvailable(handle.get(), &available)) {
            return unexpected(transport_error(GetLastError(), false));
        }
        if (available == 0) break;
        if (response.body.size() + available > settings_.max_response_bytes) {
            return unexpected(
                TransportError{TransportFailure::TooLarge,
                               "the answer exceeded " + std::to_string(settings_.max_response_bytes) + " bytes"});
        }
        const std::size_t offset = response.body.size();
        response.body.resize(offset + available);
        DWORD read = 0;
        if (!WinHttpReadData(handle.get(), response.body.data() + offset, available, &read)) {
            return unexpected(transport_error(GetLastError(), false));
        }
        response.body.resize(offset + read);
    }
    return response;
}

Expected<std::unique_ptr<HttpClient>> make_system_http_client(const HttpClientSettings& settings) {
    if (!settings.ca_file.empty()) {
        return fail(ErrorKind::InvalidInput,
                    "ca_file in [portal] is not supported on Windows: import that CA into the Windows certificate "
                    "store (Local Computer, Trusted Root Certification Authorities) and remove ca_file");
    }
    try {
        return std::unique_ptr<HttpClient>(std::make_unique<WinHttpClient>(settings));
    } catch (const std::exception& error) {
        return fail(ErrorKind::Io, error.what());
    }
}

HttpLibraryScope::HttpLibraryScope() = default;  // WinHTTP needs no process-wide set-up
HttpLibraryScope::~HttpLibraryScope() = default;

}  // namespace taxsync::portal
