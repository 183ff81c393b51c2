#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>

namespace voxrtc {

// JS class `DatagramChannel(fd, onReadable)`: a UDP socket that Node opened
// (a dgram.Socket), read and written from native code through a duplicate
// of its file descriptor, so that one datagram costs a system call and not
// Node's per-datagram buffer allocation, address object and event.
//
// - Receiving: the channel polls the descriptor on the environment's own
//   event loop. When it is readable, it reads up to kSlots datagrams in one
//   go (recvmmsg on Linux) into `buffer` (slot i at i × kSlotBytes) and
//   writes four numbers per datagram into `meta` (at i × 4): length, flags
//   (1: from the peer set with setPeer, 2: truncated to the slot), source
//   port, address family (4 or 6). Then it calls `onReadable(count, errno)`;
//   the slots are valid until that call returns. `sourceAddress(i)` gives
//   a datagram's source address as Node writes it.
// - Sending: `send(data, length)` sends to the peer at once (no queue);
//   returns the bytes sent, or -errno (EAGAIN when the socket's buffer is
//   full: the caller then sends through Node, which queues).
// - `close()` stops polling and closes the duplicate (the socket itself
//   stays Node's). Environment teardown (worker threads) closes it too.
//
// The memory behind `buffer` and `meta` belongs to the channel and lives
// until both the channel is closed and those views are collected.
class DatagramChannelWrap : public Napi::ObjectWrap<DatagramChannelWrap> {
 public:
  static constexpr int kSlots = 8;
  static constexpr size_t kSlotBytes = 4096;
  static constexpr int kMetaFields = 4;

  static Napi::Function Define(Napi::Env env);
  explicit DatagramChannelWrap(const Napi::CallbackInfo& info);
  ~DatagramChannelWrap() override;

  struct Poller;
  struct Memory;

 private:
  Napi::Value SetPeer(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SourceAddress(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  // Reads one batch; returns the number of datagrams, 0 when none is
  // waiting, or -errno.
  int Receive();
  void Notify(int count, int error);
  void Shutdown();

  Poller* poller_ = nullptr;  // null once closed
  Memory* memory_ = nullptr;
  sockaddr_storage peer_{};
  socklen_t peerLength_ = 0;
  int family_ = 0;  // the socket's: AF_INET or AF_INET6
  Napi::FunctionReference onReadable_;
  Napi::ObjectReference resource_;
  napi_async_context asyncContext_ = nullptr;
};

}  // namespace voxrtc
