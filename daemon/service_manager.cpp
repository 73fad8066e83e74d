#include "daemon/service_manager.hpp"

#include <unistd.h>

#include <cstdio>

#include "daemon/systemd_notify.hpp"

namespace taxsync::daemon {

std::unique_ptr<ServiceManager> make_service_manager() {
    // A notification that cannot be sent is worth one line in the journal (stderr goes there),
    // not a stopped service: systemd will say so itself if READY never arrives.
    const auto report = [](const std::string& reason) {
        std::fprintf(stderr, "<4>cannot notify systemd: %s\n", reason.c_str());
    };
    if (auto systemd = SystemdNotifier::from_environment(notify_environment(), ::getpid(), report)) return systemd;
    return std::make_unique<NoServiceManager>();
}

}  // namespace taxsync::daemon
