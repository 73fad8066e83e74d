#include "daemon/service_manager.hpp"

#ifndef _WIN32
#include <unistd.h>

#include "daemon/systemd_notify.hpp"
#endif

namespace taxsync::daemon {

std::unique_ptr<ServiceManager> make_service_manager() {
#ifndef _WIN32
    if (auto systemd = SystemdNotifier::from_environment(notify_environment(), ::getpid())) return systemd;
#endif
    return std::make_unique<NoServiceManager>();
}

}  // namespace taxsync::daemon
