#include "udp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

// Older libc headers lack the GSO/GRO names; the values are the kernel's (linux/udp.h).
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace doorway::udp {
namespace {

constexpr size_t kGroBufferBytes = 65536;
constexpr size_t kMaxSegments = 64;
// UDP payload limit of one GSO message (IPv4 total length minus headers).
constexpr size_t kMaxGsoBytes = 65000;
constexpr size_t kControlBytes = 64;

std::string Errno(int err) { return std::string(strerror(err)); }

// "1.2.3.4" or "::1" (brackets allowed) into `out`; false when it is not a numeric address.
bool ParseHost(const std::string& text, uint16_t port, sockaddr_storage* out) {
  std::string host = text;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return true;
  }
  return false;
}

socklen_t AddressLength(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

// The buffer size the kernel granted; as root the *FORCE variant goes past net.core.*mem_max.
void SizeBuffer(int fd, int force_option, int option, int bytes) {
  if (bytes <= 0) return;
  if (setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof(bytes)) == 0) return;
  setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes));
}

int ReadIntOption(int fd, int level, int option) {
  int value = 0;
  socklen_t length = sizeof(value);
  return getsockopt(fd, level, option, &value, &length) == 0 ? value : -1;
}

}  // namespace

std::unique_ptr<UdpSocket> UdpSocket::Open(const SocketOptions& options, std::string* error) {
  sockaddr_storage bind_address;
  if (!ParseHost(options.bind_host, options.bind_port, &bind_address)) {
    *error = "bind address '" + options.bind_host + "' is not a numeric IPv4 or IPv6 address";
    return nullptr;
  }
  sockaddr_storage peer{};
  const bool has_peer = !options.peer_host.empty();
  if (has_peer && !ParseHost(options.peer_host, options.peer_port, &peer)) {
    *error = "peer address '" + options.peer_host + "' is not a numeric IPv4 or IPv6 address";
    return nullptr;
  }
  if (has_peer && peer.ss_family != bind_address.ss_family) {
    *error = "peer " + options.peer_host + " and bind address " + options.bind_host +
             " are of different IP families";
    return nullptr;
  }
  std::unique_ptr<UdpSocket> s(new UdpSocket());
  s->family_ = bind_address.ss_family;
  s->fd_ = socket(s->family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd_ < 0) {
    *error = "cannot open a UDP socket: " + Errno(errno);
    return nullptr;
  }
  SizeBuffer(s->fd_, SO_RCVBUFFORCE, SO_RCVBUF, options.receive_buffer_bytes);
  SizeBuffer(s->fd_, SO_SNDBUFFORCE, SO_SNDBUF, options.send_buffer_bytes);
  if (bind(s->fd_, reinterpret_cast<sockaddr*>(&bind_address), AddressLength(bind_address)) != 0) {
    *error = "cannot bind UDP " + options.bind_host + ":" + std::to_string(options.bind_port) +
             ": " + Errno(errno);
    return nullptr;
  }
  // Destination 0 is the peer. A connect that fails (no route yet while the network comes up)
  // leaves the socket unconnected, sending to the peer's address each time.
  s->destinations_.push_back(peer);
  if (has_peer) {
    s->connected_ = connect(s->fd_, reinterpret_cast<sockaddr*>(&peer), AddressLength(peer)) == 0;
  }
  const int on = 1;
  if (s->family_ == AF_INET) {
    setsockopt(s->fd_, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
  } else {
    setsockopt(s->fd_, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof(on));
  }
  // GRO and GSO from Linux 5.0 and 4.18: detected by setting them, never assumed.
  s->gro_ = options.want_gro && setsockopt(s->fd_, SOL_UDP, UDP_GRO, &on, sizeof(on)) == 0;
  const int no_segment = 0;
  s->gso_ = options.want_gso &&
            setsockopt(s->fd_, SOL_UDP, UDP_SEGMENT, &no_segment, sizeof(no_segment)) == 0;

  s->messages_ = std::clamp<size_t>(options.messages, 1, 1024);
  s->receive_buffer_bytes_ =
      s->gro_ ? kGroBufferBytes : std::clamp<size_t>(options.slot_bytes, 64, kGroBufferBytes);
  s->receive_headers_.resize(s->messages_);
  s->receive_iov_.resize(s->messages_);
  s->receive_sources_.resize(s->messages_);
  s->receive_control_.resize(s->messages_ * kControlBytes);
  s->send_headers_.resize(s->messages_);
  s->send_iov_.resize(s->messages_ * kMaxSegments);
  s->send_control_.resize(s->messages_ * kControlBytes);
  s->send_segments_.resize(s->messages_);
  s->first_slot_.resize(s->messages_);
  return s;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

int UdpSocket::actual_receive_buffer() const { return ReadIntOption(fd_, SOL_SOCKET, SO_RCVBUF); }
int UdpSocket::actual_send_buffer() const { return ReadIntOption(fd_, SOL_SOCKET, SO_SNDBUF); }

std::string UdpSocket::LocalAddress(uint16_t* port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {0};
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    *port = ntohs(v6->sin6_port);
  } else {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    *port = ntohs(v4->sin_port);
  }
  return text;
}

std::string UdpSocket::FormatAddress(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(v6->sin6_port));
  }
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
  inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(ntohs(v4->sin_port));
}

int UdpSocket::Receive(uint8_t* ring, DatagramSink& sink) {
  for (size_t i = 0; i < messages_; ++i) {
    receive_iov_[i] = {ring + i * receive_buffer_bytes_, receive_buffer_bytes_};
    msghdr& h = receive_headers_[i].msg_hdr;
    h.msg_name = &receive_sources_[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &receive_iov_[i];
    h.msg_iovlen = 1;
    h.msg_control = &receive_control_[i * kControlBytes];
    h.msg_controllen = kControlBytes;
    h.msg_flags = 0;
  }
  int got;
  do {
    got = recvmmsg(fd_, receive_headers_.data(), static_cast<unsigned>(messages_), MSG_DONTWAIT,
                   nullptr);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  for (int i = 0; i < got; ++i) {
    msghdr& h = receive_headers_[i].msg_hdr;
    const size_t length = receive_headers_[i].msg_len;
    size_t segment = 0;
    uint8_t tos = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int size = 0;
        memcpy(&size, CMSG_DATA(c), sizeof(size));
        if (size > 0) segment = static_cast<size_t>(size);
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
        memcpy(&tos, CMSG_DATA(c), 1);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
        int tclass = 0;
        memcpy(&tclass, CMSG_DATA(c), sizeof(tclass));
        tos = static_cast<uint8_t>(tclass);
      }
    }
    const bool truncated = (h.msg_flags & MSG_TRUNC) != 0;
    const size_t base = static_cast<size_t>(i) * receive_buffer_bytes_;
    if (segment == 0 || segment >= length || truncated) {
      sink.OnDatagram({base, length, truncated, tos, &receive_sources_[i]});
      continue;
    }
    for (size_t at = 0; at < length; at += segment) {
      sink.OnDatagram(
          {base + at, std::min(segment, length - at), false, tos, &receive_sources_[i]});
    }
  }
  return got;
}

int UdpSocket::AddDestination(const std::string& host, uint16_t port, std::string* error) {
  sockaddr_storage address;
  if (!ParseHost(host, port, &address)) {
    *error = "destination '" + host + "' is not a numeric IPv4 or IPv6 address";
    return -1;
  }
  if (address.ss_family != family_) {
    *error = "destination " + host + " is not of the socket's IP family";
    return -1;
  }
  if (port == 0) {
    *error = "destination " + host + ":0 has no port";
    return -1;
  }
  for (size_t i = 1; i < destinations_.size(); ++i) {
    if (memcmp(&destinations_[i], &address, AddressLength(address)) == 0) {
      return static_cast<int>(i);
    }
  }
  // A bounded table: roaming peers are few, and a full table recycles its oldest entry.
  if (destinations_.size() >= 64) destinations_.erase(destinations_.begin() + 1);
  destinations_.push_back(address);
  return static_cast<int>(destinations_.size() - 1);
}

void UdpSocket::Send(const uint8_t* ring, size_t slot_bytes, const int32_t* lengths,
                     const uint8_t* tos, const uint32_t* dest, size_t count, SendCounts* counts) {
  count = std::min(count, messages_);
  size_t m = 0;
  size_t i = 0;
  while (i < count) {
    const size_t length = static_cast<size_t>(lengths[i]);
    const uint32_t to = dest[i] < destinations_.size() ? dest[i] : 0;
    // A run of equal-sized datagrams to one place with one DSCP goes as one GSO message; the
    // last of the run may be shorter.
    size_t group = 1;
    size_t total = length;
    if (gso_) {
      while (i + group < count && group < kMaxSegments) {
        const size_t next = static_cast<size_t>(lengths[i + group]);
        if (dest[i + group] != dest[i] || tos[i + group] != tos[i] || next > length ||
            total + next > kMaxGsoBytes) {
          break;
        }
        group++;
        total += next;
        if (next < length) break;
      }
    }
    iovec* iov = &send_iov_[m * kMaxSegments];
    for (size_t g = 0; g < group; ++g) {
      iov[g] = {const_cast<uint8_t*>(ring + (i + g) * slot_bytes),
                static_cast<size_t>(lengths[i + g])};
    }
    msghdr& h = send_headers_[m].msg_hdr;
    memset(&h, 0, sizeof(h));
    if (!connected_ || to != 0) {
      h.msg_name = &destinations_[to];
      h.msg_namelen = AddressLength(destinations_[to]);
    }
    h.msg_iov = iov;
    h.msg_iovlen = group;
    uint8_t* control = &send_control_[m * kControlBytes];
    memset(control, 0, kControlBytes);
    h.msg_control = control;
    h.msg_controllen = kControlBytes;
    size_t used = 0;
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    if (tos[i] != 0 && tos_cmsg_) {
      const int value = tos[i];
      c->cmsg_level = family_ == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
      c->cmsg_type = family_ == AF_INET6 ? IPV6_TCLASS : IP_TOS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &value, sizeof(value));
      used += CMSG_SPACE(sizeof(int));
      c = CMSG_NXTHDR(&h, c);
    }
    if (group > 1) {
      const uint16_t size = static_cast<uint16_t>(length);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      memcpy(CMSG_DATA(c), &size, sizeof(size));
      used += CMSG_SPACE(sizeof(uint16_t));
      counts->gso_messages++;
    }
    h.msg_controllen = used;
    if (used == 0) h.msg_control = nullptr;
    send_segments_[m] = static_cast<uint32_t>(group);
    first_slot_[m] = static_cast<uint32_t>(i);
    m++;
    i += group;
  }
  size_t first = 0;
  while (first < m) {
    int sent;
    do {
      sent = sendmmsg(fd_, &send_headers_[first], static_cast<unsigned>(m - first), MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    counts->calls++;
    if (sent > 0) {
      for (size_t k = first; k < first + static_cast<size_t>(sent); ++k) {
        counts->datagrams += send_segments_[k];
      }
      first += static_cast<size_t>(sent);
      continue;
    }
    const int err = errno;
    counts->last_errno = err;
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
      // The socket buffer is full: a real-time sender drops rather than queues; the protocol's
      // repair and retransmission answer for it.
      for (size_t k = first; k < m; ++k) counts->dropped += send_segments_[k];
      return;
    }
    msghdr& h = send_headers_[first].msg_hdr;
    if ((err == EIO || err == EINVAL) && (send_segments_[first] > 1 || h.msg_control != nullptr)) {
      // The device cannot segment (EIO), or the kernel refuses the ancillary data (EINVAL), or
      // the destination itself is refused (EINVAL too). Resend the datagrams one by one without
      // either; only if that works was it the feature, which this socket then stops using.
      size_t plain_sent = 0;
      for (size_t g = 0; g < h.msg_iovlen; ++g) {
        msghdr one = h;
        one.msg_iov = &h.msg_iov[g];
        one.msg_iovlen = 1;
        one.msg_control = nullptr;
        one.msg_controllen = 0;
        if (sendmsg(fd_, &one, MSG_DONTWAIT) >= 0) {
          counts->datagrams++;
          plain_sent++;
        } else {
          counts->errors++;
        }
      }
      if (plain_sent > 0) {
        const bool marked = h.msg_control != nullptr && tos_cmsg_ && tos[first_slot_[first]] != 0;
        if (send_segments_[first] > 1) {
          // GSO goes first; if the mark turns out to be the cause later, GSO comes back.
          gso_ = false;
          gso_off_with_mark_ = marked;
        } else {
          tos_cmsg_ = false;
          if (gso_off_with_mark_) gso_ = true;
          gso_off_with_mark_ = false;
        }
      }
      first++;
      continue;
    }
    // ECONNREFUSED (the peer's port is closed), no route yet: that message is lost, counted.
    counts->errors += send_segments_[first];
    first++;
  }
}

}  // namespace doorway::udp
