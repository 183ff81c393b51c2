#include "datagram_channel_wrap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "args.h"

namespace voxrtc {

namespace {

// Batches read in one wake-up before the event loop gets a turn.
constexpr int kMaxBatches = 8;
constexpr int kFromPeer = 1;
constexpr int kTruncated = 2;

bool SameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
  }
  return false;
}

int PortOf(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return 0;
}

}  // namespace

// What libuv polls. Heap-allocated apart from the wrap: it must outlive the
// wrap until libuv's close callback, and the wrap may go first.
struct DatagramChannelWrap::Poller {
  uv_poll_t handle;
  int fd = -1;
  DatagramChannelWrap* owner = nullptr;  // null once the wrap has let go
  napi_async_cleanup_hook_handle cleanupHook = nullptr;
  bool closing = false;

  // Stops polling, closes the duplicate descriptor, and frees this once
  // libuv has closed the handle. Idempotent.
  void Close() {
    if (closing) return;
    closing = true;
    owner = nullptr;
    uv_poll_stop(&handle);
    ::close(fd);
    fd = -1;
    uv_close(reinterpret_cast<uv_handle_t*>(&handle), [](uv_handle_t* h) {
      auto* self = static_cast<Poller*>(h->data);
      if (self->cleanupHook != nullptr) napi_remove_async_cleanup_hook(self->cleanupHook);
      delete self;
    });
  }

  // Environment teardown (a worker thread ending) with the channel open.
  static void OnCleanup(napi_async_cleanup_hook_handle, void* arg) {
    auto* self = static_cast<Poller*>(arg);
    if (self->owner != nullptr) self->owner->poller_ = nullptr;
    self->Close();  // (when already closing, its close callback removes the hook)
  }
};

// The slots, their metadata and source addresses: shared by the channel
// (until closed) and the ArrayBuffer that JS sees (until collected).
struct DatagramChannelWrap::Memory {
  static constexpr size_t kDataBytes = kSlots * kSlotBytes;
  static constexpr size_t kMetaBytes = kSlots * kMetaFields * sizeof(int32_t);

  uint8_t* bytes = new uint8_t[kDataBytes + kMetaBytes]();
  sockaddr_storage sources[kSlots] = {};
  int refs = 2;

  int32_t* meta() { return reinterpret_cast<int32_t*>(bytes + kDataBytes); }
  void Release() {
    if (--refs > 0) return;
    delete[] bytes;
    delete this;
  }
};

Napi::Function DatagramChannelWrap::Define(Napi::Env env) {
  return DefineClass(env, "DatagramChannel",
                     {
                         InstanceMethod<&DatagramChannelWrap::SetPeer>("setPeer"),
                         InstanceMethod<&DatagramChannelWrap::Send>("send"),
                         InstanceMethod<&DatagramChannelWrap::SourceAddress>("sourceAddress"),
                         InstanceMethod<&DatagramChannelWrap::Close>("close"),
                         StaticValue("slots", Napi::Number::New(env, kSlots)),
                         StaticValue("slotBytes", Napi::Number::New(env, static_cast<double>(kSlotBytes))),
                     });
}

DatagramChannelWrap::DatagramChannelWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<DatagramChannelWrap>(info) {
  Napi::Env env = info.Env();
  const char* where = "new DatagramChannel";
  const int fd = GetInt(info, 0, 0, 0x7fffffff, where, "fd");
  if (!info[1].IsFunction()) {
    ThrowType(env, std::string(where) + ": onReadable must be a function; got " + Describe(info[1]));
  }
  int type = 0;
  socklen_t typeLength = sizeof type;
  sockaddr_storage local{};
  socklen_t localLength = sizeof local;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typeLength) != 0 || type != SOCK_DGRAM ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLength) != 0 ||
      (local.ss_family != AF_INET && local.ss_family != AF_INET6)) {
    ThrowType(env, std::string(where) + ": fd must be the descriptor of a bound UDP socket; got " +
                       std::to_string(fd) + (type != SOCK_DGRAM && type != 0 ? " (not a datagram socket)" : ""));
  }
  family_ = local.ss_family;
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    throw Napi::Error::New(env, std::string(where) + ": could not duplicate the descriptor: " + std::strerror(errno));
  }

  uv_loop_t* loop = nullptr;
  auto* poller = new Poller();
  poller->fd = copy;
  poller->handle.data = poller;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &poller->handle, copy) != 0) {
    ::close(copy);
    delete poller;
    throw Napi::Error::New(env, std::string(where) + ": could not poll the descriptor");
  }
  const int started = uv_poll_start(&poller->handle, UV_READABLE, OnPoll);
  poller->owner = this;
  poller_ = poller;
  if (started != 0) {
    Shutdown();
    throw Napi::Error::New(env, std::string(where) + ": could not poll the descriptor: " + uv_strerror(started));
  }
  napi_add_async_cleanup_hook(env, Poller::OnCleanup, poller, &poller->cleanupHook);

  memory_ = new Memory();
  Napi::ArrayBuffer shared = Napi::ArrayBuffer::New(
      env, memory_->bytes, Memory::kDataBytes + Memory::kMetaBytes,
      [](Napi::Env, void*, Memory* memory) { memory->Release(); }, memory_);
  Napi::Object self = info.This().As<Napi::Object>();
  self.DefineProperties({
      Napi::PropertyDescriptor::Value("buffer", Napi::Uint8Array::New(env, Memory::kDataBytes, shared, 0), napi_enumerable),
      Napi::PropertyDescriptor::Value("meta", Napi::Int32Array::New(env, kSlots * kMetaFields, shared, Memory::kDataBytes),
                                      napi_enumerable),
  });

  onReadable_ = Napi::Persistent(info[1].As<Napi::Function>());
  Napi::Object resource = Napi::Object::New(env);
  resource_ = Napi::Persistent(resource);
  napi_async_init(env, resource, Napi::String::New(env, "voxrtc:DatagramChannel"), &asyncContext_);
  Ref();  // open channels stay alive without a JS reference: libuv calls them
}

DatagramChannelWrap::~DatagramChannelWrap() {
  if (poller_ != nullptr) {
    poller_->Close();
    poller_ = nullptr;
  }
  if (memory_ != nullptr) memory_->Release();
  memory_ = nullptr;
  if (asyncContext_ != nullptr) napi_async_destroy(Env(), asyncContext_);
  asyncContext_ = nullptr;
}

void DatagramChannelWrap::Shutdown() {
  const bool wasOpen = memory_ != nullptr;
  if (poller_ != nullptr) poller_->Close();
  poller_ = nullptr;
  if (!wasOpen) return;
  memory_->Release();
  memory_ = nullptr;
  onReadable_.Reset();
  resource_.Reset();
  if (asyncContext_ != nullptr) napi_async_destroy(Env(), asyncContext_);
  asyncContext_ = nullptr;
  Unref();
}

void DatagramChannelWrap::OnPoll(uv_poll_t* handle, int status, int) {
  auto* poller = static_cast<Poller*>(handle->data);
  DatagramChannelWrap* self = poller->owner;
  if (self == nullptr || poller->closing) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  if (status < 0) {
    self->Notify(0, -status);
    return;
  }
  for (int batch = 0; batch < kMaxBatches; batch++) {
    const int count = self->Receive();
    if (count == 0) return;
    self->Notify(count > 0 ? count : 0, count < 0 ? -count : 0);
    if (poller->owner != self || poller->closing) return;  // closed by the callback
    if (count < kSlots) return;
  }
}

int DatagramChannelWrap::Receive() {
  Memory& memory = *memory_;
  const int fd = poller_->fd;
  int lengths[kSlots];
  int flags[kSlots];
  int count = 0;
#ifdef __linux__
  mmsghdr messages[kSlots];
  iovec vectors[kSlots];
  std::memset(messages, 0, sizeof messages);
  for (int i = 0; i < kSlots; i++) {
    vectors[i].iov_base = memory.bytes + i * kSlotBytes;
    vectors[i].iov_len = kSlotBytes;
    messages[i].msg_hdr.msg_name = &memory.sources[i];
    messages[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  do {
    count = recvmmsg(fd, messages, kSlots, MSG_DONTWAIT, nullptr);
  } while (count < 0 && errno == EINTR);
  if (count < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
  for (int i = 0; i < count; i++) {
    lengths[i] = static_cast<int>(messages[i].msg_len);
    flags[i] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ? kTruncated : 0;
  }
#else
  for (; count < kSlots; count++) {
    iovec vector{memory.bytes + count * kSlotBytes, kSlotBytes};
    msghdr message{};
    message.msg_name = &memory.sources[count];
    message.msg_namelen = sizeof(sockaddr_storage);
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    ssize_t n;
    do {
      n = recvmsg(fd, &message, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (count == 0) return -errno;
      break;
    }
    lengths[count] = static_cast<int>(n);
    flags[count] = (message.msg_flags & MSG_TRUNC) != 0 ? kTruncated : 0;
  }
#endif
  int32_t* meta = memory.meta();
  for (int i = 0; i < count; i++) {
    const sockaddr_storage& source = memory.sources[i];
    int32_t* m = meta + i * kMetaFields;
    m[0] = lengths[i];
    m[1] = flags[i] | (peerLength_ != 0 && SameAddress(source, peer_) ? kFromPeer : 0);
    m[2] = PortOf(source);
    m[3] = source.ss_family == AF_INET6 ? 6 : 4;
  }
  return count;
}

void DatagramChannelWrap::Notify(int count, int error) {
  napi_env env = Env();
  napi_value argv[2];
  napi_create_int32(env, count, &argv[0]);
  napi_create_int32(env, error, &argv[1]);
  napi_value result;
  if (napi_make_callback(env, asyncContext_, resource_.Value(), onReadable_.Value(), 2, argv, &result) ==
      napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);  // like an exception thrown in any other I/O callback
  }
}

Napi::Value DatagramChannelWrap::SetPeer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "DatagramChannel.setPeer";
  if (poller_ == nullptr) ThrowClosed(env, where, "channel");
  if (!info[0].IsString()) ThrowType(env, std::string(where) + ": address must be a string; got " + Describe(info[0]));
  const std::string address = info[0].As<Napi::String>().Utf8Value();
  const int port = GetInt(info, 1, 1, 65535, where, "port");
  sockaddr_storage peer{};
  socklen_t length = 0;
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    if (family_ == AF_INET) {
      auto& a = reinterpret_cast<sockaddr_in&>(peer);
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr = v4;
      length = sizeof(sockaddr_in);
    } else {  // an IPv6 socket reaches IPv4 peers through mapped addresses
      auto& a = reinterpret_cast<sockaddr_in6&>(peer);
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(static_cast<uint16_t>(port));
      a.sin6_addr.s6_addr[10] = 0xff;
      a.sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&a.sin6_addr.s6_addr[12], &v4, 4);
      length = sizeof(sockaddr_in6);
    }
  } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1 && family_ == AF_INET6) {
    auto& a = reinterpret_cast<sockaddr_in6&>(peer);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    a.sin6_addr = v6;
    length = sizeof(sockaddr_in6);
  } else {
    ThrowRange(env, std::string(where) + ": address must be an IPv4" + (family_ == AF_INET6 ? " or IPv6" : "") +
                        " address this socket can reach; got '" + address + "'");
  }
  peer_ = peer;
  peerLength_ = length;
  return env.Undefined();
}

Napi::Value DatagramChannelWrap::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "DatagramChannel.send";
  if (poller_ == nullptr) ThrowClosed(env, where, "channel");
  const ByteView data = GetBytes(info, 0, where, "data");
  const int length = GetInt(info, 1, 0, static_cast<int>(data.length < 65507 ? data.length : 65507), where, "length");
  if (peerLength_ == 0) {
    throw Napi::Error::New(env, std::string(where) + ": no peer to send to; call setPeer(address, port) first");
  }
  ssize_t sent;
  do {
    sent = sendto(poller_->fd, data.data, static_cast<size_t>(length), MSG_DONTWAIT,
                  reinterpret_cast<const sockaddr*>(&peer_), peerLength_);
  } while (sent < 0 && errno == EINTR);
  return Napi::Number::New(env, sent < 0 ? -errno : static_cast<double>(sent));
}

Napi::Value DatagramChannelWrap::SourceAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "DatagramChannel.sourceAddress";
  if (memory_ == nullptr) ThrowClosed(env, where, "channel");
  const int slot = GetInt(info, 0, 0, kSlots - 1, where, "slot");
  const sockaddr_storage& source = memory_->sources[slot];
  char text[INET6_ADDRSTRLEN] = {};
  if (source.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(source).sin_addr, text, sizeof text);
  } else if (source.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(source).sin6_addr, text, sizeof text);
  }
  return Napi::String::New(env, text);
}

Napi::Value DatagramChannelWrap::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

}  // namespace voxrtc
