// A non-blocking UDP socket moved in batches: recvmmsg into a ring of message buffers and
// sendmmsg out of a ring of slots, with UDP GRO/GSO where the kernel has them (detected when the
// socket opens, with the plain path as the fallback) and the DSCP of every datagram set per
// message. No N-API here: addon.cc owns the JS side and the event loop.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace doorway::udp {

struct SocketOptions {
  // Numeric addresses only (the JS side resolves names first): "127.0.0.1", "::1", "0.0.0.0".
  std::string bind_host;
  uint16_t bind_port = 0;
  // Empty: unconnected, each datagram goes to the destination its slot names.
  std::string peer_host;
  uint16_t peer_port = 0;
  int receive_buffer_bytes = 0;
  int send_buffer_bytes = 0;
  // Messages per recvmmsg call and slots in the send ring.
  size_t messages = 64;
  // The largest datagram one receive message holds without GRO (one GRO message holds 64 KiB).
  size_t slot_bytes = 2048;
  bool want_gro = true;
  bool want_gso = true;
};

// One datagram of a received batch, with GRO segments already split.
struct Received {
  size_t offset;
  size_t length;
  bool truncated;
  uint8_t tos;
  const sockaddr_storage* source;
};

class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  virtual void OnDatagram(const Received& datagram) = 0;
};

struct SendCounts {
  uint64_t datagrams = 0;
  uint64_t calls = 0;
  uint64_t gso_messages = 0;
  uint64_t errors = 0;
  uint64_t dropped = 0;
  int last_errno = 0;
};

class UdpSocket {
 public:
  // Null with `*error` set (one line naming the address and the reason) when it cannot open.
  static std::unique_ptr<UdpSocket> Open(const SocketOptions& options, std::string* error);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  int fd() const { return fd_; }
  bool gro() const { return gro_; }
  bool gso() const { return gso_; }
  bool connected() const { return connected_; }
  size_t messages() const { return messages_; }
  // Bytes of one receive message buffer: a full GRO super-datagram when GRO is on.
  size_t receive_buffer_bytes() const { return receive_buffer_bytes_; }
  size_t receive_ring_bytes() const { return messages_ * receive_buffer_bytes_; }
  // Datagrams one Receive can yield (GRO packs up to 64 segments into one message).
  size_t max_datagrams() const { return messages_ * (gro_ ? 64 : 1); }
  int actual_receive_buffer() const;
  int actual_send_buffer() const;
  std::string LocalAddress(uint16_t* port) const;

  // One recvmmsg into `ring` (receive_ring_bytes long). Returns the messages read (0 when none
  // were waiting) or -errno; each datagram goes to `sink`.
  int Receive(uint8_t* ring, DatagramSink& sink);

  // Destinations for unconnected sends; id 0 is the connected peer. -1 with `*error` when bad.
  int AddDestination(const std::string& host, uint16_t port, std::string* error);

  // Sends `count` slots of `ring` (slot_bytes apart): lengths[i] bytes each, with DSCP tos[i] and
  // destination ids dest[i]. Never blocks: what the kernel will not take now is dropped, counted.
  void Send(const uint8_t* ring, size_t slot_bytes, const int32_t* lengths, const uint8_t* tos,
            const uint32_t* dest, size_t count, SendCounts* counts);

  static std::string FormatAddress(const sockaddr_storage& address);

 private:
  UdpSocket() = default;
  bool SendMessages(size_t first, size_t count, SendCounts* counts, bool* retry_plain);

  int fd_ = -1;
  int family_ = AF_INET;
  bool gro_ = false;
  bool gso_ = false;
  bool tos_cmsg_ = true;
  bool connected_ = false;
  size_t messages_ = 0;
  size_t receive_buffer_bytes_ = 0;
  std::vector<sockaddr_storage> destinations_;
  // Preallocated per message: headers, one iovec per receive message (64 per send message for
  // GSO), source addresses and control buffers.
  std::vector<mmsghdr> receive_headers_;
  std::vector<iovec> receive_iov_;
  std::vector<sockaddr_storage> receive_sources_;
  std::vector<uint8_t> receive_control_;
  std::vector<mmsghdr> send_headers_;
  std::vector<iovec> send_iov_;
  std::vector<uint8_t> send_control_;
  std::vector<uint32_t> send_segments_;
  // The send-ring slot each message starts at.
  std::vector<uint32_t> first_slot_;
  // GSO was turned off by a refused message that also carried a DSCP mark.
  bool gso_off_with_mark_ = false;
};

}  // namespace doorway::udp
