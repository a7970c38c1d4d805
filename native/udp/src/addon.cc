// native/udp addon: the transport's datagrams on a socket moved in batches (udp_socket.cc), with
// the first look at each (datagram_filter.cc) done here, so that one JS call carries a whole batch
// of datagrams that could be doorway traffic and garbage never reaches JS at all. JS sees the
// rings as ArrayBuffers this object allocated once: views into them, never a Buffer per datagram.
// The socket is read and written on the event loop's thread and watched by the loop itself (a
// libuv poll on its descriptor): the loop wakes once per readable batch, with no thread between
// the kernel and JS. libuv's header comes from Node's own include directory (see CMakeLists.txt),
// so the handle matches the libuv inside the node binary that runs it.
#include <errno.h>
#include <napi.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>

#include DOORWAY_UV_H

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
// The loop's poll on the socket, apart from the port: libuv owns it until its close callback, which
// may come after the port is gone (the port then clears `port`). While it exists, an async cleanup
// hook holds a worker's (or the main) environment open, so Node does not unload this addon's code
// while the loop still has a close callback to run in it.
struct PollState {
  uv_poll_t handle;
  UdpPort* port;
  napi_async_cleanup_hook_handle cleanup;
};
void OnUdpReadable(uv_poll_t* handle, int status, int events);
void OnUdpPollClosed(uv_handle_t* handle);
void OnUdpEnvironmentCleanup(napi_async_cleanup_hook_handle hook, void* arg);

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
    // A watched port holds a reference to itself, so one collected while watched is torn down
    // with its environment, whose cleanup hook has closed the poll already.
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
    if (poll_ != nullptr) return env.Undefined();
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      throw Napi::Error::New(env, "udp: no event loop to watch the socket on");
    }
    auto state = std::make_unique<PollState>();
    state->port = this;
    state->cleanup = nullptr;
    int r = uv_poll_init(loop, &state->handle, socket_->fd());
    if (r != 0) throw Napi::Error::New(env, std::string("udp: uv_poll_init: ") + uv_strerror(r));
    state->handle.data = state.get();
    r = uv_poll_start(&state->handle, UV_READABLE, &OnUdpReadable);
    if (r == 0) {
      r = napi_add_async_cleanup_hook(env, &OnUdpEnvironmentCleanup, state.get(),
                                      &state->cleanup) == napi_ok
              ? 0
              : UV_ENOMEM;
    }
    poll_ = state.release();
    if (r != 0) {
      ClosePoll();
      throw Napi::Error::New(env, std::string("udp: watching the socket: ") + uv_strerror(r));
    }
    // The port lives while it is watched: JS may drop its last reference and still get batches.
    Ref();
    referenced_ = true;
    return env.Undefined();
  }

  friend void OnUdpReadable(uv_poll_t* handle, int status, int events);
  friend void OnUdpEnvironmentCleanup(napi_async_cleanup_hook_handle hook, void* arg);

  // Stops watching: the poll leaves the loop now and its memory goes at its close callback.
  void ClosePoll() {
    if (poll_ == nullptr) return;
    PollState* state = poll_;
    poll_ = nullptr;
    state->port = nullptr;
    uv_poll_stop(&state->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&state->handle), &OnUdpPollClosed);
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
        // The C call, not Napi's MakeCallback: when the handler ends a worker (process.exit in
        // it), the pending "exception" is the termination, and no Error may be made for it.
        napi_value argv[1] = {Napi::Number::New(env, static_cast<double>(passed_))};
        napi_value result = nullptr;
        if (napi_make_callback(env, *async_context_, Value(), on_batch_.Value(), 1, argv,
                               &result) != napi_ok) {
          napi_value thrown = nullptr;
          napi_valuetype type = napi_undefined;
          if (napi_get_and_clear_last_exception(env, &thrown) == napi_ok && thrown != nullptr &&
              napi_typeof(env, thrown, &type) == napi_ok && type != napi_undefined) {
            // What JS threw from its batch handler is its uncaught exception, as for any
            // callback the loop makes.
            napi_fatal_exception(env, thrown);
          }
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

  // Stops watching and closes the socket (after the poll has left the loop). Safe to call twice,
  // and from inside a batch handler.
  void Shutdown() {
    ClosePoll();
    if (referenced_) {
      referenced_ = false;
      Unref();
    }
    socket_.reset();
  }

  std::unique_ptr<UdpSocket> socket_;
  DatagramFilter filter_;
  PollState* poll_ = nullptr;
  bool referenced_ = false;
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

// On the loop's thread, once per readable batch (level-triggered: what one wake leaves in the
// socket wakes the loop again after its timers have had their turn).
void OnUdpReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* state = static_cast<PollState*>(handle->data);
  UdpPort* port = state->port;
  if (port == nullptr) return;
  port->Drain();
  if (status < 0 && state->port != nullptr) {
    // libuv stops a poll that reports POLLERR. On this UDP socket that is the kernel's error for
    // an earlier send (an ICMP port or host unreachable, while the peer is away), pending until
    // the next read: the drain above has read it (a lost send), so the watch goes on.
    const int r = uv_poll_start(handle, UV_READABLE, &OnUdpReadable);
    if (r != 0) port->receive_errors_++;
  }
}

void OnUdpPollClosed(uv_handle_t* handle) {
  auto* state = static_cast<PollState*>(handle->data);
  // Unregisters the hook, or, when the environment is tearing down, tells it this port is done.
  if (state->cleanup != nullptr) napi_remove_async_cleanup_hook(state->cleanup);
  delete state;
}

// The environment (a worker's, or the main one at exit) is going away with the port still watched:
// close the poll and let the environment finish once the loop has run its close callback. No JS
// here.
void OnUdpEnvironmentCleanup(napi_async_cleanup_hook_handle /*hook*/, void* arg) {
  auto* state = static_cast<PollState*>(arg);
  UdpPort* port = state->port;
  if (port == nullptr) return;  // Closed already: its close callback is on its way.
  // Every reference is finalized with the environment; none is given back during teardown.
  port->referenced_ = false;
  port->Shutdown();
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
