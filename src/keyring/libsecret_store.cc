#include "keyring/libsecret_store.h"

#include <libsecret/secret.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <memory>
#include <mutex>
#include <thread>

namespace rm {
namespace {

constexpr const char* kBusName = "org.freedesktop.secrets";

// Owners for the GLib and libsecret objects used here, one deleter per type.
template <class T>
struct Free;
template <>
struct Free<GError> {
  void operator()(GError* p) const { g_error_free(p); }
};
template <>
struct Free<gchar> {
  void operator()(gchar* p) const { secret_password_free(p); }
};
template <>
struct Free<SecretValue> {
  void operator()(SecretValue* p) const { secret_value_unref(p); }
};
template <>
struct Free<GHashTable> {
  void operator()(GHashTable* p) const { g_hash_table_unref(p); }
};
template <>
struct Free<GVariant> {
  void operator()(GVariant* p) const { g_variant_unref(p); }
};
template <>
struct Free<GList> {  // a list of SecretItem*, as secret_service_search_sync returns it
  void operator()(GList* p) const { g_list_free_full(p, g_object_unref); }
};
template <>
struct Free<GDBusConnection> {
  void operator()(GDBusConnection* p) const {
    g_dbus_connection_close(p, nullptr, nullptr, nullptr);  // never waits for the peer
    g_object_unref(p);
  }
};
struct Unref {
  void operator()(gpointer p) const { g_object_unref(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free<T>>;
template <class T>
using ObjPtr = std::unique_ptr<T, Unref>;

// Every GLib source created during one call goes to this context and dies with it.
class PrivateContext {
 public:
  PrivateContext() : ctx_(g_main_context_new()) { g_main_context_push_thread_default(ctx_); }
  ~PrivateContext() {
    g_main_context_pop_thread_default(ctx_);
    g_main_context_unref(ctx_);
  }
  PrivateContext(const PrivateContext&) = delete;
  PrivateContext& operator=(const PrivateContext&) = delete;

 private:
  GMainContext* ctx_;
};

// A GCancellable that a timer thread cancels once `timeout` has passed; the destructor stops
// and joins the thread. g_cancellable_cancel() is thread-safe.
class CancelAfter {
 public:
  explicit CancelAfter(std::chrono::milliseconds timeout)
      : cancellable_(g_cancellable_new()), timer_([this, timeout] { run(timeout); }) {}
  ~CancelAfter() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    timer_.join();
  }
  CancelAfter(const CancelAfter&) = delete;
  CancelAfter& operator=(const CancelAfter&) = delete;

  GCancellable* get() const { return cancellable_.get(); }
  bool fired() const { return g_cancellable_is_cancelled(cancellable_.get()) != 0; }

 private:
  void run(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [this] { return done_; })) {
      g_cancellable_cancel(cancellable_.get());
    }
  }

  ObjPtr<GCancellable> cancellable_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread timer_;  // last: started once the members it uses exist
};

// Matched on host, service and user only (DONT_MATCH_NAME): entries made by secret-tool or
// msmtp carry another xdg:schema, or none.
const SecretSchema* schema() {
  static const SecretSchema kSchema = [] {
    SecretSchema s{};
    s.name = "org.relaymail.Password";
    s.flags = SECRET_SCHEMA_DONT_MATCH_NAME;
    s.attributes[0] = {"host", SECRET_SCHEMA_ATTRIBUTE_STRING};
    s.attributes[1] = {"service", SECRET_SCHEMA_ATTRIBUTE_STRING};
    s.attributes[2] = {"user", SECRET_SCHEMA_ATTRIBUTE_STRING};
    return s;
  }();
  return &kSchema;
}

std::string entry_name(const SecretQuery& q) {
  return format("host=%s service=%s user=%s", q.host.c_str(), q.service.c_str(), q.user.c_str());
}

std::string seconds(std::chrono::milliseconds t) {
  return t.count() % 1000 == 0 ? format("%llds", static_cast<long long>(t.count() / 1000))
                               : format("%lldms", static_cast<long long>(t.count()));
}

// One call's session: a private connection to the bus, and the Secret Service on it.
class Session {
 public:
  Session(const std::string& address, const SecretQuery& q) : address_(address), q_(q) {}

  [[gnu::format(printf, 2, 3)]] Error fail(const char* fmt, ...) const {
    va_list ap;
    va_start(ap, fmt);
    std::string what = vformat(fmt, ap);
    va_end(ap);
    return make_error(Errc::secret_unavailable, "keyring (libsecret): %s", what.c_str());
  }

  // `doing` names the step ("look up host=..."); a cancelled step is reported as the timeout.
  Error failed(const char* doing, const Ptr<GError>& err) const {
    if (cancel_.fired()) {
      return fail("%s: no answer within %s (session bus %s)", doing, seconds(q_.timeout).c_str(),
                  address_.c_str());
    }
    return fail("%s: %s", doing, err ? err->message : "unknown error");
  }

  Status open() {
    if (address_.empty()) {
      return fail(
          "no session bus (DBUS_SESSION_BUS_ADDRESS is not set and there is no "
          "$XDG_RUNTIME_DIR/bus)");
    }
    GError* raw = nullptr;
    conn_.reset(g_dbus_connection_new_for_address_sync(
        address_.c_str(),
        static_cast<GDBusConnectionFlags>(G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION),
        nullptr, cancel_.get(), &raw));
    Ptr<GError> err(raw);
    if (!conn_) {
      return failed(format("cannot reach the session bus at %s", address_.c_str()).c_str(), err);
    }
    if (auto owned = service_running(); !owned) {
      return owned.error();
    } else if (!*owned) {
      return fail(
          "no Secret Service on the session bus (nothing owns %s; start gnome-keyring "
          "or another Secret Service in the user's session)",
          kBusName);
    }
    raw = nullptr;
    // libsecret 0.20 builds its proxy only on the session bus connection GLib shares (a
    // SecretService on a connection of our own fails an assertion), which reads the same
    // DBUS_SESSION_BUS_ADDRESS; the checks above ran on our own connection, bounded.
    service_.reset(secret_service_open_sync(SECRET_TYPE_SERVICE, nullptr, SECRET_SERVICE_NONE,
                                            cancel_.get(), &raw));
    err.reset(raw);
    if (!service_) {
      return failed("open the Secret Service", err);
    }
    // The shared connection must not end the process when the bus goes away.
    g_dbus_connection_set_exit_on_close(g_dbus_proxy_get_connection(G_DBUS_PROXY(service_.get())),
                                        FALSE);
    return {};
  }

  // The entries matching the query, locked ones included; never unlocks (no SECRET_SEARCH_UNLOCK).
  Result<Ptr<GList>> search(GHashTable* attrs) {
    GError* raw = nullptr;
    Ptr<GList> items(secret_service_search_sync(service_.get(), schema(), attrs, SECRET_SEARCH_ALL,
                                                cancel_.get(), &raw));
    Ptr<GError> err(raw);
    if (err) {
      return failed(format("search for %s", entry_name(q_).c_str()).c_str(), err);
    }
    return items;
  }

  static bool any_locked(GList* items) {
    for (GList* i = items; i != nullptr; i = i->next) {
      if (secret_item_get_locked(static_cast<SecretItem*>(i->data)) != 0) {
        return true;
      }
    }
    return false;
  }

  Error locked() const {
    return fail(
        "the collection holding %s is locked (unlock it in the user's session; "
        "relaymail never prompts)",
        entry_name(q_).c_str());
  }

  SecretService* service() const { return service_.get(); }
  GCancellable* cancellable() const { return cancel_.get(); }

 private:
  Result<bool> service_running() {
    GError* raw = nullptr;
    Ptr<GVariant> reply(g_dbus_connection_call_sync(
        conn_.get(), "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "NameHasOwner", g_variant_new("(s)", kBusName), G_VARIANT_TYPE("(b)"),
        G_DBUS_CALL_FLAGS_NONE, -1, cancel_.get(), &raw));
    Ptr<GError> err(raw);
    if (!reply) {
      return failed("ask the session bus for the Secret Service", err);
    }
    gboolean owned = FALSE;
    g_variant_get(reply.get(), "(b)", &owned);
    return owned != 0;
  }

  const std::string& address_;
  const SecretQuery& q_;
  PrivateContext context_;  // first: outlives every object below
  CancelAfter cancel_{q_.timeout};
  Ptr<GDBusConnection> conn_;
  ObjPtr<SecretService> service_;
};

Ptr<GHashTable> attributes(const SecretQuery& q) {
  return Ptr<GHashTable>(secret_attributes_build(schema(), "host", q.host.c_str(), "service",
                                                 q.service.c_str(), "user", q.user.c_str(),
                                                 nullptr));
}

}  // namespace

Result<SecretString> LibsecretStore::lookup(const SecretQuery& q) {
  Session s(bus_address_, q);
  if (auto ok = s.open(); !ok) {
    return std::move(ok).error();
  }
  Ptr<GHashTable> attrs = attributes(q);
  GError* raw = nullptr;
  Ptr<SecretValue> value(
      secret_service_lookup_sync(s.service(), schema(), attrs.get(), s.cancellable(), &raw));
  Ptr<GError> err(raw);
  if (err) {
    return s.failed(format("look up %s", entry_name(q).c_str()).c_str(), err);
  }
  if (value) {
    gsize len = 0;
    Ptr<gchar> password(secret_value_unref_to_password(value.release(), &len));
    if (!password) {
      return s.fail("%s: the stored secret is not text", entry_name(q).c_str());
    }
    return SecretString(std::string(password.get(), len));
  }
  // No value and no error: there is no entry, or only locked ones (which lookup skips).
  auto items = s.search(attrs.get());
  if (!items) {
    return std::move(items).error();
  }
  if (Session::any_locked(items->get())) {
    return s.locked();
  }
  return s.fail("no entry for %s (add one with `relaymail password set ACCOUNT`)",
                entry_name(q).c_str());
}

Status LibsecretStore::store(const SecretQuery& q, const std::string& label,
                             const SecretString& secret) {
  Session s(bus_address_, q);
  if (auto ok = s.open(); !ok) {
    return std::move(ok).error();
  }
  GError* raw = nullptr;
  ObjPtr<SecretCollection> collection(secret_collection_for_alias_sync(
      s.service(), SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, s.cancellable(), &raw));
  Ptr<GError> err(raw);
  if (err) {
    return s.failed("find the default collection", err);
  }
  if (!collection) {
    return s.fail("the Secret Service has no default collection (create one with its own tools)");
  }
  if (secret_collection_get_locked(collection.get()) != 0) {
    return s.fail(
        "the default collection is locked (unlock it in the user's session; relaymail "
        "never prompts)");
  }
  Ptr<GHashTable> attrs = attributes(q);
  Ptr<SecretValue> value(
      secret_value_new(secret.view().data(), static_cast<gssize>(secret.size()), "text/plain"));
  raw = nullptr;
  ObjPtr<SecretItem> item(
      secret_item_create_sync(collection.get(), schema(), attrs.get(), label.c_str(), value.get(),
                              SECRET_ITEM_CREATE_REPLACE, s.cancellable(), &raw));
  err.reset(raw);
  if (!item) {
    return s.failed(format("store %s", entry_name(q).c_str()).c_str(), err);
  }
  return {};
}

Result<bool> LibsecretStore::clear(const SecretQuery& q) {
  Session s(bus_address_, q);
  if (auto ok = s.open(); !ok) {
    return std::move(ok).error();
  }
  Ptr<GHashTable> attrs = attributes(q);
  auto items = s.search(attrs.get());
  if (!items) {
    return std::move(items).error();
  }
  if (Session::any_locked(items->get())) {
    return s.locked();  // deleting would need an unlock, which may prompt
  }
  if (!*items) {
    return false;
  }
  GError* raw = nullptr;
  gboolean removed =
      secret_service_clear_sync(s.service(), schema(), attrs.get(), s.cancellable(), &raw);
  Ptr<GError> err(raw);
  if (err) {
    return s.failed(format("remove %s", entry_name(q).c_str()).c_str(), err);
  }
  return removed != 0;
}

std::string session_bus_address(const char* dbus_session_bus_address, const char* xdg_runtime_dir) {
  if (dbus_session_bus_address != nullptr && *dbus_session_bus_address != '\0') {
    return dbus_session_bus_address;
  }
  if (xdg_runtime_dir == nullptr || *xdg_runtime_dir == '\0') {
    return "";
  }
  std::string path = std::string(xdg_runtime_dir) + "/bus";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return "";
  }
  return "unix:path=" + path;
}

}  // namespace rm
