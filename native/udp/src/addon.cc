// native/udp addon: the transport's datagrams on a socket moved in batches (udp_socket.cc), with
// the first look at each (datagram_filter.cc) done here, so that one JS call carries a whole batch
// of datagrams that could be doorway traffic and garbage never reaches JS at all. JS sees the
// rings as ArrayBuffers this object allocated once: views into them, never a Buffer per datagram.
// The socket is read and written on the event loop's thread. A small watcher thread only waits
// for it to become readable and then wakes the loop once (a thread-safe function), and waits
// again only after the loop has drained it: one wake per batch, never one per datagram. (A libuv
// poll would save the thread hop but needs libuv's headers, which Node-API does not ship.)
#include <errno.h>
#include <napi.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "datagram_filter.h"
#include "mac1.h"
#include "udp_socket.h"

namespace doorway::udp {
namespace {

constexpr const char* kVerdictNames[kVerdictCount] = {
    "passed", "truncated", "unknownType", "badLength", "unknownIndex", "handshakeRate", "badMac"};

uint64_t MonotonicMicros() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000ULL + static_cast<uint64_t>(t.tv_nsec) / 1000;
}

socklen_t AddressLength(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

std::string StringOption(const Napi::Object& o, const char* name, const std::string& fallback) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(name) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

int64_t IntOption(const Napi::Object& o, const char* name, int64_t fallback, int64_t min,
                  int64_t max) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(name) + " must be a number");
  const int64_t n = v.As<Napi::Number>().Int64Value();
  if (n < min || n > max) {
    throw Napi::RangeError::New(o.Env(), std::string(name) + " must be in [" + std::to_string(min) +
                                             ", " + std::to_string(max) + "]");
  }
  return n;
}

bool BoolOption(const Napi::Object& o, const char* name, bool fallback) {
  Napi::Value v = o.Get(name);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

FilterMode ModeOption(const Napi::Object& o) {
  const std::string mode = StringOption(o, "mode", "secure");
  if (mode == "secure") return FilterMode::kSecure;
  if (mode == "clear") return FilterMode::kClear;
  throw Napi::RangeError::New(o.Env(), "mode must be 'secure' or 'clear'");
}

void SetMac1KeyFrom(DatagramFilter& filter, const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::Uint8Array>().ElementLength() != kMac1KeyBytes) {
    throw Napi::TypeError::New(value.Env(), "setMac1Key(key: 32-byte Uint8Array)");
  }
  filter.SetMac1Key(value.As<Napi::Uint8Array>().Data());
}

void SetIndicesFrom(DatagramFilter& filter, const Napi::Value& value) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), "setIndices(indices: number[])");
  auto list = value.As<Napi::Array>();
  std::array<uint32_t, kMaxIndices> indices{};
  const size_t count = std::min<size_t>(list.Length(), kMaxIndices);
  for (size_t i = 0; i < count; ++i) {
    indices[i] = list.Get(static_cast<uint32_t>(i)).As<Napi::Number>().Uint32Value();
  }
  filter.SetIndices(indices.data(), count);
}

// The filter alone, for the property tests: the same code the port runs on every datagram.
class JsDatagramFilter : public Napi::ObjectWrap<JsDatagramFilter> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DatagramFilter",
                       {InstanceMethod<&JsDatagramFilter::Classify>("classify"),
                        InstanceMethod<&JsDatagramFilter::SetIndices>("setIndices"),
                        InstanceMethod<&JsDatagramFilter::SetMac1Key>("setMac1Key"),
                        InstanceMethod<&JsDatagramFilter::Counts>("counts")});
  }

  explicit JsDatagramFilter(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<JsDatagramFilter>(info), filter_(FilterMode::kSecure, 0, 1) {
    if (info.Length() != 1 || !info[0].IsObject()) {
      throw Napi::TypeError::New(info.Env(), "new DatagramFilter({ mode, handshakePerSecond })");
    }
    auto o = info[0].As<Napi::Object>();
    filter_ = DatagramFilter(ModeOption(o), IntOption(o, "handshakePerSecond", 200, 0, 1'000'000),
                             IntOption(o, "handshakeBurst", 50, 1, 1'000'000));
  }

 private:
  // classify(bytes: Uint8Array, nowUs: number): the verdict's name.
  Napi::Value Classify(const Napi::CallbackInfo& info) {
    if (info.Length() != 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) {
      throw Napi::TypeError::New(info.Env(), "classify(bytes: Uint8Array, nowUs: number)");
    }
    auto bytes = info[0].As<Napi::Uint8Array>();
    const int64_t now = info[1].As<Napi::Number>().Int64Value();
    const Verdict v = filter_.Classify(bytes.Data(), bytes.ElementLength(), false,
                                       static_cast<uint64_t>(now < 0 ? 0 : now));
    return Napi::String::New(info.Env(), kVerdictNames[static_cast<size_t>(v)]);
  }

  Napi::Value SetIndices(const Napi::CallbackInfo& info) {
    SetIndicesFrom(filter_, info[0]);
    return info.Env().Undefined();
  }

  Napi::Value SetMac1Key(const Napi::CallbackInfo& info) {
    SetMac1KeyFrom(filter_, info[0]);
    return info.Env().Undefined();
  }

  Napi::Value Counts(const Napi::CallbackInfo& info) {
    auto out = Napi::Object::New(info.Env());
    for (size_t v = 0; v < kVerdictCount; ++v) {
      out.Set(kVerdictNames[v], static_cast<double>(filter_.count(static_cast<Verdict>(v))));
    }
    return out;
  }

  DatagramFilter filter_;
};

class UdpPort;
// The wake function's context. It outlives the port when the port is destroyed first (a process
// exiting without close()): the port then clears `port`, and the finalizer frees this alone.
struct WakeState {
  UdpPort* port;
};
void OnUdpWake(Napi::Env env, Napi::Function unused, WakeState* state, int* data);
using Wake = Napi::TypedThreadSafeFunction<WakeState, int, &OnUdpWake>;

class UdpPort : public Napi::ObjectWrap<UdpPort>, public DatagramSink {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "UdpPort",
        {InstanceMethod<&UdpPort::Start>("start"), InstanceMethod<&UdpPort::Send>("send"),
         InstanceMethod<&UdpPort::SetIndices>("setIndices"),
         InstanceMethod<&UdpPort::SetMac1Key>("setMac1Key"),
         InstanceMethod<&UdpPort::AddDestination>("addDestination"),
         InstanceMethod<&UdpPort::SourceAddress>("sourceAddress"),
         InstanceMethod<&UdpPort::Stats>("stats"), InstanceMethod<&UdpPort::Close>("close")});
  }

  // new UdpPort(options, onBatch(count)). Throws a one-line Error when the socket cannot open.
  explicit UdpPort(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<UdpPort>(info), filter_(FilterMode::kSecure, 0, 1) {
    Napi::Env env = info.Env();
    if (info.Length() != 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      throw Napi::TypeError::New(env, "new UdpPort(options, onBatch)");
    }
    auto o = info[0].As<Napi::Object>();
    SocketOptions options;
    options.bind_host = StringOption(o, "bindHost", "0.0.0.0");
    options.bind_port = static_cast<uint16_t>(IntOption(o, "bindPort", 0, 0, 65535));
    options.peer_host = StringOption(o, "peerHost", "");
    options.peer_port = static_cast<uint16_t>(IntOption(o, "peerPort", 0, 0, 65535));
    options.receive_buffer_bytes =
        static_cast<int>(IntOption(o, "receiveBufferBytes", 0, 0, 1 << 30));
    options.send_buffer_bytes = static_cast<int>(IntOption(o, "sendBufferBytes", 0, 0, 1 << 30));
    options.messages = static_cast<size_t>(IntOption(o, "messages", 64, 1, 1024));
    options.slot_bytes = static_cast<size_t>(IntOption(o, "slotBytes", 2048, 64, 65536));
    options.want_gro = BoolOption(o, "gro", true);
    options.want_gso = BoolOption(o, "gso", true);
    filter_ = DatagramFilter(ModeOption(o), IntOption(o, "handshakePerSecond", 200, 0, 1'000'000),
                             IntOption(o, "handshakeBurst", 50, 1, 1'000'000));
    std::string error;
    socket_ = UdpSocket::Open(options, &error);
    if (!socket_) throw Napi::Error::New(env, error);

    on_batch_ = Napi::Persistent(info[1].As<Napi::Function>());
    async_context_ = std::make_unique<Napi::AsyncContext>(env, "doorway:udp");
    slot_bytes_ = options.slot_bytes;
    send_slots_ = socket_->messages();
    capacity_ = socket_->max_datagrams();

    Napi::Object self = info.This().As<Napi::Object>();
    // One buffer more than recvmmsg fills: JS's scratch for re-homing GRO segments (see
    // src/udp/batch-driver.ts), so it needs no view per datagram.
    auto receive_ring = Napi::ArrayBuffer::New(
        env, socket_->receive_ring_bytes() + socket_->receive_buffer_bytes());
    auto offsets = Napi::Int32Array::New(env, capacity_);
    auto lengths = Napi::Int32Array::New(env, capacity_);
    auto sources = Napi::Uint32Array::New(env, capacity_);
    auto tos = Napi::Uint8Array::New(env, capacity_);
    auto send_ring = Napi::ArrayBuffer::New(env, send_slots_ * slot_bytes_);
    auto send_lengths = Napi::Int32Array::New(env, send_slots_);
    auto send_tos = Napi::Uint8Array::New(env, send_slots_);
    auto send_dest = Napi::Uint32Array::New(env, send_slots_);
    receive_ring_ = static_cast<uint8_t*>(receive_ring.Data());
    offsets_ = offsets.Data();
    lengths_ = lengths.Data();
    sources_ = sources.Data();
    tos_ = tos.Data();
    send_ring_ = static_cast<uint8_t*>(send_ring.Data());
    send_lengths_ = send_lengths.Data();
    send_tos_ = send_tos.Data();
    send_dest_ = send_dest.Data();
    // Held here as well as on the object, so nothing JS does can free memory this port writes.
    auto buffers = Napi::Array::New(env);
    const napi_value all[] = {receive_ring, offsets,      lengths,  sources,  tos,
                              send_ring,    send_lengths, send_tos, send_dest};
    for (uint32_t i = 0; i < sizeof(all) / sizeof(all[0]); ++i) buffers.Set(i, all[i]);
    buffers_ = Napi::Persistent(buffers);
    const auto ro = napi_enumerable;
    self.DefineProperties({
        Napi::PropertyDescriptor::Value("receiveRing", receive_ring, ro),
        Napi::PropertyDescriptor::Value("receiveOffsets", offsets, ro),
        Napi::PropertyDescriptor::Value("receiveLengths", lengths, ro),
        Napi::PropertyDescriptor::Value("receiveSources", sources, ro),
        Napi::PropertyDescriptor::Value("receiveTos", tos, ro),
        Napi::PropertyDescriptor::Value("sendRing", send_ring, ro),
        Napi::PropertyDescriptor::Value("sendLengths", send_lengths, ro),
        Napi::PropertyDescriptor::Value("sendTos", send_tos, ro),
        Napi::PropertyDescriptor::Value("sendDestinations", send_dest, ro),
        Napi::PropertyDescriptor::Value("slotBytes", Napi::Number::New(env, slot_bytes_), ro),
        Napi::PropertyDescriptor::Value(
            "receiveScratchOffset",
            Napi::Number::New(env, static_cast<double>(socket_->receive_ring_bytes())), ro),
        Napi::PropertyDescriptor::Value("sendSlots", Napi::Number::New(env, send_slots_), ro),
        Napi::PropertyDescriptor::Value("gro", Napi::Boolean::New(env, socket_->gro()), ro),
        Napi::PropertyDescriptor::Value("connected", Napi::Boolean::New(env, socket_->connected()),
                                        ro),
    });
  }

  ~UdpPort() override {
    if (wake_state_ != nullptr) wake_state_->port = nullptr;
    Shutdown();
  }

  void OnDatagram(const Received& d) override {
    received_++;
    if (passed_ >= capacity_) return;  // Cannot happen: Receive yields at most capacity_.
    const Verdict v = filter_.Classify(receive_ring_ + d.offset, d.length, d.truncated, now_us_);
    if (v != Verdict::kPass) return;
    offsets_[passed_] = static_cast<int32_t>(d.offset);
    lengths_[passed_] = static_cast<int32_t>(d.length);
    tos_[passed_] = d.tos;
    sources_[passed_] = SourceId(*d.source);
    passed_++;
  }

 private:
  static constexpr size_t kSources = 16;
  // Batches read per wake before yielding to the rest of the loop: a flood cannot starve timers.
  static constexpr int kRoundsPerWake = 8;

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!socket_) throw Napi::Error::New(env, "udp: start on a closed port");
    if (watching_) return env.Undefined();
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) throw Napi::Error::New(env, std::string("udp: eventfd: ") + strerror(errno));
    wake_state_ = new WakeState{this};
    wake_ = Wake::New(env, "doorway:udp", 0, 1, wake_state_, &UdpPort::OnWakeReleased,
                      static_cast<int*>(nullptr));
    // The port lives while it is watched: JS may drop its last reference and still get batches.
    // The reference is given back when the wake function is gone (OnWakeReleased).
    Ref();
    watching_ = true;
    draining_ = false;
    stopping_ = false;
    watcher_ = std::thread([this] { Watch(); });
    return env.Undefined();
  }

  // The watcher thread: poll until readable, wake the loop, wait until it has drained the socket.
  void Watch() {
    pollfd fds[2] = {{socket_fd_(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    while (true) {
      const int r = poll(fds, 2, -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[1].revents != 0) break;
      if ((fds[0].revents & (POLLIN | POLLERR)) == 0) continue;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) break;
        draining_ = true;
      }
      if (wake_.NonBlockingCall(static_cast<int*>(nullptr)) != napi_ok) break;
      std::unique_lock<std::mutex> lock(mutex_);
      drained_.wait(lock, [this] { return !draining_ || stopping_; });
      if (stopping_) break;
    }
  }

  int socket_fd_() const { return socket_ ? socket_->fd() : -1; }

  friend void OnUdpWake(Napi::Env env, Napi::Function unused, WakeState* state, int* data);

  static void OnWakeReleased(Napi::Env /*env*/, int* /*unused*/, WakeState* state) {
    UdpPort* port = state->port;
    delete state;
    if (port == nullptr) return;
    port->wake_state_ = nullptr;
    port->Unref();
  }

  void Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (int round = 0; round < kRoundsPerWake && socket_; ++round) {
      passed_ = 0;
      now_us_ = MonotonicMicros();
      const int got = socket_->Receive(receive_ring_, *this);
      if (got == -ECONNREFUSED || got == -EHOSTUNREACH || got == -ENETUNREACH) {
        // An ICMP error for an earlier send, reported on the next read: the send was lost.
        send_counts_.errors++;
        continue;
      }
      if (got < 0) {
        receive_errors_++;
        break;
      }
      if (got == 0) break;
      batches_++;
      if (passed_ > 0) {
        delivered_ += passed_;
        try {
          on_batch_.Call(Value(), {Napi::Number::New(env, static_cast<double>(passed_))});
        } catch (const Napi::Error& e) {
          // What JS threw from its batch handler is its uncaught exception, as for any callback.
          e.ThrowAsJavaScriptException();
          return;
        }
      }
      // The handler may have closed the port.
      if (!socket_ || static_cast<size_t>(got) < socket_->messages()) break;
    }
  }

  uint32_t SourceId(const sockaddr_storage& source) {
    const socklen_t length = AddressLength(source);
    if (last_source_ != 0 && memcmp(&sources_table_[last_slot_], &source, length) == 0) {
      return last_source_;
    }
    for (size_t i = 0; i < kSources; ++i) {
      if (source_ids_[i] != 0 && memcmp(&sources_table_[i], &source, length) == 0) {
        last_slot_ = i;
        last_source_ = source_ids_[i];
        return last_source_;
      }
    }
    const size_t slot = next_slot_;
    next_slot_ = (next_slot_ + 1) % kSources;
    sources_table_[slot] = source;
    source_ids_[slot] = next_id_++;
    last_slot_ = slot;
    last_source_ = source_ids_[slot];
    return last_source_;
  }

  // sourceAddress(id): "HOST:PORT" ("[v6]:PORT"), or null once the id has been recycled.
  Napi::Value SourceAddress(const Napi::CallbackInfo& info) {
    const uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    for (size_t i = 0; i < kSources; ++i) {
      if (source_ids_[i] == id && id != 0) {
        return Napi::String::New(info.Env(), UdpSocket::FormatAddress(sources_table_[i]));
      }
    }
    return info.Env().Null();
  }

  // send(count): sends slots [0, count) of the send ring; returns the datagrams the kernel took.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!socket_) throw Napi::Error::New(env, "udp: send on a closed port");
    const int64_t count = info[0].As<Napi::Number>().Int64Value();
    if (count < 0 || static_cast<size_t>(count) > send_slots_) {
      throw Napi::RangeError::New(env, "udp: send count out of range");
    }
    for (int64_t i = 0; i < count; ++i) {
      if (send_lengths_[i] <= 0 || static_cast<size_t>(send_lengths_[i]) > slot_bytes_) {
        throw Napi::RangeError::New(env, "udp: send slot " + std::to_string(i) + " has length " +
                                             std::to_string(send_lengths_[i]));
      }
    }
    const uint64_t before = send_counts_.datagrams;
    socket_->Send(send_ring_, slot_bytes_, send_lengths_, send_tos_, send_dest_,
                  static_cast<size_t>(count), &send_counts_);
    return Napi::Number::New(env, static_cast<double>(send_counts_.datagrams - before));
  }

  Napi::Value SetIndices(const Napi::CallbackInfo& info) {
    SetIndicesFrom(filter_, info[0]);
    return info.Env().Undefined();
  }

  Napi::Value SetMac1Key(const Napi::CallbackInfo& info) {
    SetMac1KeyFrom(filter_, info[0]);
    return info.Env().Undefined();
  }

  // addDestination(host, port): the id a send slot names to go there; throws when not numeric.
  Napi::Value AddDestination(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!socket_) throw Napi::Error::New(env, "udp: addDestination on a closed port");
    if (info.Length() != 2 || !info[0].IsString() || !info[1].IsNumber()) {
      throw Napi::TypeError::New(env, "addDestination(host: string, port: number)");
    }
    std::string error;
    const int id =
        socket_->AddDestination(info[0].As<Napi::String>().Utf8Value(),
                                info[1].As<Napi::Number>().Uint32Value() & 0xffff, &error);
    if (id < 0) throw Napi::Error::New(env, "udp: " + error);
    return Napi::Number::New(env, id);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto out = Napi::Object::New(env);
    out.Set("received", static_cast<double>(received_));
    out.Set("delivered", static_cast<double>(delivered_));
    out.Set("batches", static_cast<double>(batches_));
    out.Set("receiveErrors", static_cast<double>(receive_errors_));
    auto dropped = Napi::Object::New(env);
    for (size_t v = 1; v < kVerdictCount; ++v) {
      dropped.Set(kVerdictNames[v], static_cast<double>(filter_.count(static_cast<Verdict>(v))));
    }
    out.Set("dropped", dropped);
    out.Set("sent", static_cast<double>(send_counts_.datagrams));
    out.Set("sendCalls", static_cast<double>(send_counts_.calls));
    out.Set("gsoMessages", static_cast<double>(send_counts_.gso_messages));
    out.Set("sendErrors", static_cast<double>(send_counts_.errors));
    out.Set("sendDropped", static_cast<double>(send_counts_.dropped));
    out.Set("gso", socket_ ? socket_->gso() : false);
    if (socket_) {
      uint16_t port = 0;
      const std::string host = socket_->LocalAddress(&port);
      out.Set("localHost", host);
      out.Set("localPort", port);
      out.Set("receiveBufferBytes", socket_->actual_receive_buffer());
      out.Set("sendBufferBytes", socket_->actual_send_buffer());
    }
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  // Stops the watcher (joined before the socket closes), gives the wake function back and closes
  // the socket. Safe to call twice, and from inside a batch handler.
  void Shutdown() {
    if (watching_) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
      }
      const uint64_t one = 1;
      if (write(stop_fd_, &one, sizeof(one)) < 0) {
        // The eventfd cannot be full with one write; stopping_ alone ends the wait.
      }
      drained_.notify_one();
      watcher_.join();
      // Unless the wake function is already gone (the environment tearing down first).
      if (wake_state_ != nullptr) wake_.Abort();
      close(stop_fd_);
      stop_fd_ = -1;
      watching_ = false;
    }
    socket_.reset();
  }

  std::unique_ptr<UdpSocket> socket_;
  DatagramFilter filter_;
  Wake wake_;
  WakeState* wake_state_ = nullptr;
  std::thread watcher_;
  std::mutex mutex_;
  std::condition_variable drained_;
  bool draining_ = false;
  bool stopping_ = false;
  bool watching_ = false;
  int stop_fd_ = -1;
  Napi::FunctionReference on_batch_;
  Napi::Reference<Napi::Array> buffers_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  size_t slot_bytes_ = 0;
  size_t send_slots_ = 0;
  size_t capacity_ = 0;
  uint8_t* receive_ring_ = nullptr;
  int32_t* offsets_ = nullptr;
  int32_t* lengths_ = nullptr;
  uint32_t* sources_ = nullptr;
  uint8_t* tos_ = nullptr;
  uint8_t* send_ring_ = nullptr;
  int32_t* send_lengths_ = nullptr;
  uint8_t* send_tos_ = nullptr;
  uint32_t* send_dest_ = nullptr;
  size_t passed_ = 0;
  uint64_t now_us_ = 0;
  uint64_t received_ = 0;
  uint64_t delivered_ = 0;
  uint64_t batches_ = 0;
  uint64_t receive_errors_ = 0;
  SendCounts send_counts_;
  std::array<sockaddr_storage, kSources> sources_table_{};
  std::array<uint32_t, kSources> source_ids_{};
  size_t next_slot_ = 0;
  size_t last_slot_ = 0;
  uint32_t last_source_ = 0;
  uint32_t next_id_ = 1;
};

// On the loop's thread, once per readable wake: drain, then let the watcher wait again.
void OnUdpWake(Napi::Env env, Napi::Function /*unused*/, WakeState* state, int* /*unused*/) {
  UdpPort* port = state == nullptr ? nullptr : state->port;
  if (env == nullptr || port == nullptr) return;
  port->Drain();
  {
    std::lock_guard<std::mutex> lock(port->mutex_);
    port->draining_ = false;
  }
  port->drained_.notify_one();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpPort", UdpPort::Define(env));
  exports.Set("DatagramFilter", JsDatagramFilter::Define(env));
  // The framing the filter was compiled with, for the test that holds it to the TS constants.
  auto framing = Napi::Object::New(env);
  framing.Set("sealedType", kSealedType);
  framing.Set("initiationType", kInitiationType);
  framing.Set("responseType", kResponseType);
  framing.Set("cookieReplyType", kCookieReplyType);
  framing.Set("sealedMinBytes", static_cast<double>(kSealedMinBytes));
  framing.Set("initiationBytes", static_cast<double>(kInitiationBytes));
  framing.Set("responseBytes", static_cast<double>(kResponseBytes));
  framing.Set("cookieReplyBytes", static_cast<double>(kCookieReplyBytes));
  framing.Set("clearVersion", kClearVersion);
  framing.Set("clearMediaMinBytes", static_cast<double>(kClearMediaMinBytes));
  framing.Set("clearControlMinBytes", static_cast<double>(kClearControlMinBytes));
  exports.Set("framing", framing);
  exports.Set("features", Napi::Array::New(env));
  return exports;
}

}  // namespace
}  // namespace doorway::udp

static Napi::Object InitUdpAddon(Napi::Env env, Napi::Object exports) {
  return doorway::udp::Init(env, exports);
}

NODE_API_MODULE(udp, InitUdpAddon)
