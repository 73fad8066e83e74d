#pragma once
// The executor's threads share one SQLite connection. Each holds the store lock while it runs an
// operation's step, so store work never overlaps, and lets go of it while the portal answers, so
// the requests of several clients are in flight at once. PortalOutsideStoreLock is the Portal a
// step sees: every call to the portal releases the lock for its duration.

#include <mutex>

#include "portal/portal.hpp"

namespace taxsync::engine {

class PortalOutsideStoreLock final : public portal::Portal {
public:
    PortalOutsideStoreLock(portal::Portal& inner, std::unique_lock<std::mutex>& store_lock)
        : inner_(inner), lock_(store_lock) {}

    [[nodiscard]] std::string_view dialect() const override { return inner_.dialect(); }
    [[nodiscard]] const portal::Capabilities& capabilities() const override { return inner_.capabilities(); }
    Status connect() override;

    Expected<std::optional<portal::Entity>> find_entity(std::string_view external_key) override;
    Expected<portal::CreateResult<portal::Entity>> create_entity(const portal::NewEntity& entity,
                                                                 std::string_view idempotency_key) override;
    Status rename_entity(const EntityId& entity, std::string_view name) override;
    Expected<std::optional<portal::Contact>> find_contact(std::string_view email) override;
    Expected<portal::CreateResult<portal::Contact>> create_contact(const portal::NewContact& contact,
                                                                   std::string_view idempotency_key) override;
    Status update_contact(const ContactId& contact, const portal::ContactChanges& changes) override;
    Status invite_contact(const ContactId& contact, std::string_view message,
                          std::string_view idempotency_key) override;
    Status share_entity(const EntityId& entity, const ContactId& contact, std::string_view role) override;
    Expected<GroupId> ensure_group(std::string_view name) override;
    Status add_to_group(const GroupId& group, const ContactId& contact) override;
    Expected<FolderId> ensure_folder(const EntityId& entity, std::string_view path) override;
    Status set_folder_access(const FolderId& folder, const ContactId& contact, portal::FolderAccess access) override;
    Status unshare_entity(const EntityId& entity, const ContactId& contact, std::string_view role) override;
    Status remove_from_group(const GroupId& group, const ContactId& contact) override;
    Status deactivate_contact(const ContactId& contact) override;
    Expected<std::vector<portal::Share>> entity_shares(const EntityId& entity) override;
    Expected<std::map<ContactId, portal::FolderAccess>> folder_access(const FolderId& folder) override;
    Expected<portal::FileRequestResult> request_files(const portal::FileRequest& request,
                                                      std::string_view idempotency_key) override;
    Expected<portal::EmailTemplate> invitation_template() override;
    Status set_invitation_template(const portal::EmailTemplate& text) override;

private:
    /// Runs `call` with the store lock released, and holds it again afterwards (also on a throw).
    template <class Call>
    auto unlocked(Call&& call) {
        struct Relock {
            std::unique_lock<std::mutex>& lock;
            ~Relock() { lock.lock(); }
        };
        lock_.unlock();
        const Relock relock{lock_};
        return call();
    }

    portal::Portal& inner_;
    std::unique_lock<std::mutex>& lock_;
};

}  // namespace taxsync::engine
