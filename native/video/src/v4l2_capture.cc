// Feature v4l2: a V4L2 camera as NV12 VideoFrames. mmap streaming with few buffers (latency),
// one capture thread that converts each picture into a pooled NV12 frame and gives the driver its
// buffer back at once, newest-wins delivery to JS, and reopening a camera that went away.
// Also `v4l2Formats` (what a camera offers) and `v4l2ChooseFormat` (the pure format choice, so
// it is testable without a camera).
//
// To NV12: NV12 is one copy; YUYV is converted by the shared CPU rule (cuda_convert.h) or, with
// convert 'cuda', by the GPU kernel; MJPEG is decoded by libavcodec and converted by swscale
// ('cuda' does not apply to it). The driver gets each buffer back as soon as its bytes are used.
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
}

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "convert.h"
#include "cuda_convert.h"
#include "features.h"
#include "frame.h"

namespace doorway::video {
namespace {

// ---------------------------------------------------------------------------------------------
// Format names and the pure format choice.

struct FormatName {
  uint32_t fourcc;
  const char* name;
};

// The formats the capture thread can turn into NV12. Some cameras call MJPEG 'JPEG'; both decode
// alike, and MJPG is listed first so it wins when a camera offers both.
constexpr FormatName kUsableFormats[] = {{V4L2_PIX_FMT_NV12, "nv12"},
                                         {V4L2_PIX_FMT_YUYV, "yuyv"},
                                         {V4L2_PIX_FMT_MJPEG, "mjpeg"},
                                         {V4L2_PIX_FMT_JPEG, "mjpeg"}};

// 'auto' takes the first of these the camera offers at the wanted size and rate: NV12 needs one
// copy, YUYV one cheap conversion, MJPEG a decode.
constexpr const char* kAutoOrder[] = {"nv12", "yuyv", "mjpeg"};

bool IsUsableName(const std::string& name) {
  return std::any_of(std::begin(kAutoOrder), std::end(kAutoOrder),
                     [&](const char* usable) { return name == usable; });
}

// "nv12", "yuyv", "mjpeg" for the usable formats; the fourcc in lower case ("h264") otherwise.
std::string FormatNameOf(uint32_t fourcc) {
  for (const FormatName& f : kUsableFormats) {
    if (f.fourcc == fourcc) return f.name;
  }
  std::string name;
  for (int shift = 0; shift < 32; shift += 8) {
    const char c = static_cast<char>((fourcc >> shift) & 0xff);
    if (c != ' ' && c != '\0')
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string SizeText(int width, int height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

// 30 -> "30", 29.97002997 -> "29.97".
std::string FpsText(double fps) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", fps);
  std::string out = text;
  while (!out.empty() && out.back() == '0') out.pop_back();
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// One format at one size with the frame rates the camera offers there (frames per second, highest
// first). An empty list means the driver does not enumerate rates: any rate may be asked for.
struct Offer {
  std::string format;
  int width = 0;
  int height = 0;
  std::vector<double> fps;
};

struct Want {
  std::string device;  // only for messages; "" in the pure JS call without one
  std::string format;  // "auto" or one of kAutoOrder
  int width = 0;
  int height = 0;
  double fps = 0;  // 0: the highest rate offered
};

struct Choice {
  std::string format;
  int width = 0;
  int height = 0;
  double fps = 0;  // 0 when neither side named a rate
};

// 29.97 serves a request for 30 (NTSC-style rates), 25 does not.
bool SameRate(double offered, double wanted) {
  return std::fabs(offered - wanted) <= 0.01 * wanted;
}

std::string Subject(const std::string& device) {
  return device.empty() ? std::string("camera") : "camera " + device;
}

// "YUYV 640x480, MJPEG 1280x720, ..." (each format and size once, at most 16).
std::string OfferList(const std::vector<Offer>& offered) {
  std::vector<std::string> items;
  for (const Offer& offer : offered) {
    std::string item = Upper(offer.format) + " " + SizeText(offer.width, offer.height);
    if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
  }
  constexpr size_t kShown = 16;
  std::string out;
  for (size_t i = 0; i < items.size() && i < kShown; ++i) out += (i > 0 ? ", " : "") + items[i];
  if (items.size() > kShown) out += ", and " + std::to_string(items.size() - kShown) + " more";
  return out;
}

// Picks the format, size and rate to ask the driver for, or throws std::runtime_error with the
// one-line "does not offer" message.
Choice ChooseFormat(const std::vector<Offer>& offered, const Want& want) {
  const std::string subject = Subject(want.device);
  const std::string size = SizeText(want.width, want.height);
  if (offered.empty()) throw std::runtime_error(subject + " offers no capture formats");

  std::vector<std::string> candidates;
  if (want.format == "auto") {
    candidates.assign(std::begin(kAutoOrder), std::end(kAutoOrder));
  } else {
    candidates.push_back(want.format);
  }

  struct AtSize {
    std::string format;
    std::vector<double> fps;
    bool any_rate = false;
  };
  std::vector<AtSize> at_size;
  for (const std::string& format : candidates) {
    AtSize entry{format, {}, false};
    bool found = false;
    for (const Offer& offer : offered) {
      if (offer.format != format || offer.width != want.width || offer.height != want.height) {
        continue;
      }
      found = true;
      if (offer.fps.empty()) entry.any_rate = true;
      for (double fps : offer.fps) {
        if (std::find(entry.fps.begin(), entry.fps.end(), fps) == entry.fps.end()) {
          entry.fps.push_back(fps);
        }
      }
    }
    std::sort(entry.fps.begin(), entry.fps.end(), std::greater<double>());
    if (found) at_size.push_back(entry);
  }

  if (at_size.empty()) {
    const std::string what = want.format == "auto" ? "NV12, YUYV or MJPEG" : Upper(want.format);
    throw std::runtime_error(subject + " does not offer " + what + " at " + size +
                             " (it offers: " + OfferList(offered) + ")");
  }

  for (const AtSize& entry : at_size) {
    if (want.fps <= 0) {
      return {entry.format, want.width, want.height, entry.fps.empty() ? 0 : entry.fps.front()};
    }
    if (entry.any_rate) return {entry.format, want.width, want.height, want.fps};
    const double* best = nullptr;
    for (const double& fps : entry.fps) {
      if (SameRate(fps, want.fps) &&
          (best == nullptr || std::fabs(fps - want.fps) < std::fabs(*best - want.fps))) {
        best = &fps;
      }
    }
    if (best != nullptr) return {entry.format, want.width, want.height, *best};
  }

  auto rates = [](const std::vector<double>& list) {
    std::string out;
    for (size_t i = 0; i < list.size(); ++i) out += (i > 0 ? ", " : "") + FpsText(list[i]);
    return out + " fps";
  };
  if (want.format != "auto") {
    throw std::runtime_error(subject + " does not offer " + Upper(want.format) + " " + size +
                             " at " + FpsText(want.fps) + " fps (it offers " +
                             rates(at_size.front().fps) + ")");
  }
  std::string offers;
  for (size_t i = 0; i < at_size.size(); ++i) {
    offers += (i > 0 ? "; " : "") + Upper(at_size[i].format) + " at " + rates(at_size[i].fps);
  }
  throw std::runtime_error(subject + " does not offer " + size + " at " + FpsText(want.fps) +
                           " fps (it offers " + offers + ")");
}

// ---------------------------------------------------------------------------------------------
// Options from JS.

int PositiveInteger(const Napi::Object& object, const char* key, const std::string& what) {
  Napi::Value value = object.Get(key);
  const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : 0;
  if (!value.IsNumber() || number < 1 || number > 16384 || number != std::floor(number)) {
    throw Napi::TypeError::New(object.Env(), what + "." + key + " must be a positive integer");
  }
  return static_cast<int>(number);
}

double Rate(const Napi::Object& object, const char* key, const std::string& what) {
  Napi::Value value = object.Get(key);
  if (value.IsUndefined()) return 0;
  const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
  if (!value.IsNumber() || !std::isfinite(number) || number < 0 || number > 1000) {
    throw Napi::TypeError::New(object.Env(), what + "." + key + " must be a rate from 0 to 1000");
  }
  return number;
}

// {format, width, height, fps[, device]}: the camera options and v4l2ChooseFormat's `want`.
Want ParseWant(const Napi::Object& object, const std::string& what) {
  Napi::Env env = object.Env();
  Want want;
  Napi::Value device = object.Get("device");
  if (!device.IsUndefined()) {
    if (!device.IsString() || device.As<Napi::String>().Utf8Value().empty()) {
      throw Napi::TypeError::New(env, what + ".device must be a path such as /dev/video0");
    }
    want.device = device.As<Napi::String>().Utf8Value();
  }
  Napi::Value format = object.Get("format");
  want.format = format.IsUndefined() ? "auto" : "";
  if (format.IsString()) want.format = format.As<Napi::String>().Utf8Value();
  if (want.format != "auto" && !IsUsableName(want.format)) {
    throw Napi::TypeError::New(env, what + ".format must be 'auto', 'nv12', 'yuyv' or 'mjpeg'");
  }
  want.width = PositiveInteger(object, "width", what);
  want.height = PositiveInteger(object, "height", what);
  want.fps = Rate(object, "fps", what);
  return want;
}

std::vector<Offer> ParseOffers(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsArray()) throw Napi::TypeError::New(env, "v4l2ChooseFormat: offered must be a list");
  Napi::Array list = value.As<Napi::Array>();
  std::vector<Offer> offers;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const std::string what = "v4l2ChooseFormat: offered[" + std::to_string(i) + "]";
    Napi::Value item = list.Get(i);
    if (!item.IsObject()) throw Napi::TypeError::New(env, what + " must be an object");
    Napi::Object object = item.As<Napi::Object>();
    Offer offer;
    Napi::Value format = object.Get("format");
    if (!format.IsString()) throw Napi::TypeError::New(env, what + ".format must be a string");
    offer.format = format.As<Napi::String>().Utf8Value();
    offer.width = PositiveInteger(object, "width", what);
    offer.height = PositiveInteger(object, "height", what);
    Napi::Value fps = object.Get("fps");
    if (!fps.IsArray()) throw Napi::TypeError::New(env, what + ".fps must be a list of rates");
    Napi::Array rates = fps.As<Napi::Array>();
    for (uint32_t r = 0; r < rates.Length(); ++r) {
      Napi::Value rate = rates.Get(r);
      const double number = rate.IsNumber() ? rate.As<Napi::Number>().DoubleValue() : -1;
      if (!(number > 0) || !std::isfinite(number)) {
        throw Napi::TypeError::New(env, what + ".fps must be a list of positive rates");
      }
      offer.fps.push_back(number);
    }
    offers.push_back(std::move(offer));
  }
  return offers;
}

Napi::Object ChoiceObject(Napi::Env env, const Choice& choice) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("format", choice.format);
  out.Set("width", choice.width);
  out.Set("height", choice.height);
  out.Set("fps", choice.fps);
  return out;
}

Napi::Value V4l2ChooseFormat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Offer> offered = ParseOffers(info[0]);
  if (!info[1].IsObject())
    throw Napi::TypeError::New(env, "v4l2ChooseFormat: want must be an object");
  const Want want = ParseWant(info[1].As<Napi::Object>(), "v4l2ChooseFormat: want");
  try {
    return ChoiceObject(env, ChooseFormat(offered, want));
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, e.what());
  }
}

// ---------------------------------------------------------------------------------------------
// The device: opening, what it offers, format, buffers.

int Xioctl(int fd, unsigned long request, void* arg) {
  int result;
  do {
    result = ioctl(fd, request, arg);
  } while (result < 0 && errno == EINTR);
  return result;
}

int64_t MonotonicNowUs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::runtime_error DeviceError(const std::string& device, const std::string& text) {
  return std::runtime_error(Subject(device) + ": " + text);
}

// Opens `device` and checks it is a V4L2 camera we can stream from; one-line errors.
Fd OpenCamera(const std::string& device) {
  Fd fd(open(device.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int error = errno;
    if (error == ENOENT || error == ENODEV || error == ENXIO) {
      throw DeviceError(device, "no such device");
    }
    if (error == EACCES || error == EPERM) {
      throw DeviceError(device, "permission denied (is this user in the 'video' group?)");
    }
    if (error == EBUSY) throw DeviceError(device, "busy (another program has it open)");
    if (error == EISDIR) throw DeviceError(device, "not a V4L2 device (it is a directory)");
    throw DeviceError(device, std::strerror(error));
  }
  struct stat info {};
  if (fstat(fd.get(), &info) == 0 && !S_ISCHR(info.st_mode)) {
    throw DeviceError(device, "not a V4L2 device (not a character device)");
  }
  v4l2_capability cap{};
  if (Xioctl(fd.get(), VIDIOC_QUERYCAP, &cap) < 0) {
    const int error = errno;
    if (error == ENODEV) throw DeviceError(device, "no such device");
    throw DeviceError(
        device, std::string("not a V4L2 device (VIDIOC_QUERYCAP: ") + std::strerror(error) + ")");
  }
  const uint32_t caps =
      (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  const std::string card = reinterpret_cast<const char*>(cap.card);
  const std::string named = device + " (" + card + ")";
  if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
    if (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) {
      throw DeviceError(named, "multi-planar capture only, which doorway does not support");
    }
    throw DeviceError(named, "not a video capture device");
  }
  if (!(caps & V4L2_CAP_STREAMING)) throw DeviceError(named, "does not support streaming I/O");
  return fd;
}

struct Mode {
  uint32_t fourcc = 0;
  Offer offer;
  std::vector<v4l2_fract> intervals;  // parallel to offer.fps
};

double FpsOf(const v4l2_fract& interval) {
  return static_cast<double>(interval.denominator) / interval.numerator;
}

// Drivers with stepwise or continuous ranges get the common sizes and rates inside the range.
constexpr int kCommonSizes[][2] = {{320, 240},   {640, 360},   {640, 480},   {800, 600},
                                   {1024, 768},  {1280, 720},  {1280, 960},  {1600, 1200},
                                   {1920, 1080}, {2560, 1440}, {2880, 1620}, {3840, 2160}};
constexpr int kCommonRates[] = {5, 10, 15, 20, 24, 25, 30, 50, 60, 90, 120};

std::vector<v4l2_fract> EnumerateIntervals(int fd, uint32_t fourcc, int width, int height) {
  std::vector<v4l2_fract> intervals;
  v4l2_frmivalenum item{};
  item.pixel_format = fourcc;
  item.width = static_cast<uint32_t>(width);
  item.height = static_cast<uint32_t>(height);
  for (item.index = 0; Xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &item) == 0; ++item.index) {
    if (item.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
      if (item.discrete.numerator > 0 && item.discrete.denominator > 0) {
        intervals.push_back(item.discrete);
      }
      continue;
    }
    const v4l2_fract shortest = item.stepwise.min;
    const v4l2_fract longest = item.stepwise.max;
    if (shortest.numerator == 0 || longest.numerator == 0 || longest.denominator == 0) break;
    const double fastest = FpsOf(shortest);
    const double slowest = FpsOf(longest);
    for (int rate : kCommonRates) {
      if (rate >= slowest && rate < fastest) {
        intervals.push_back(v4l2_fract{1, static_cast<uint32_t>(rate)});
      }
    }
    intervals.push_back(shortest);
    break;
  }
  std::sort(intervals.begin(), intervals.end(),
            [](const v4l2_fract& a, const v4l2_fract& b) { return FpsOf(a) > FpsOf(b); });
  intervals.erase(
      std::unique(intervals.begin(), intervals.end(),
                  [](const v4l2_fract& a, const v4l2_fract& b) { return FpsOf(a) == FpsOf(b); }),
      intervals.end());
  return intervals;
}

std::vector<Mode> EnumerateModes(int fd) {
  std::vector<Mode> modes;
  v4l2_fmtdesc desc{};
  desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  for (desc.index = 0; Xioctl(fd, VIDIOC_ENUM_FMT, &desc) == 0; ++desc.index) {
    std::vector<std::pair<int, int>> sizes;
    v4l2_frmsizeenum size{};
    size.pixel_format = desc.pixelformat;
    for (size.index = 0; Xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &size) == 0; ++size.index) {
      if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
        sizes.emplace_back(size.discrete.width, size.discrete.height);
        continue;
      }
      const v4l2_frmsize_stepwise& range = size.stepwise;
      const uint32_t step_w = std::max<uint32_t>(range.step_width, 1);
      const uint32_t step_h = std::max<uint32_t>(range.step_height, 1);
      for (const auto& common : kCommonSizes) {
        const auto w = static_cast<uint32_t>(common[0]);
        const auto h = static_cast<uint32_t>(common[1]);
        if (w >= range.min_width && w <= range.max_width && h >= range.min_height &&
            h <= range.max_height && (w - range.min_width) % step_w == 0 &&
            (h - range.min_height) % step_h == 0) {
          sizes.emplace_back(common[0], common[1]);
        }
      }
      sizes.emplace_back(range.max_width, range.max_height);
      break;
    }
    if (sizes.empty()) {
      // No ENUM_FRAMESIZES: the size the driver is set to now is the one we know it offers.
      v4l2_format current{};
      current.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      if (Xioctl(fd, VIDIOC_G_FMT, &current) == 0 &&
          current.fmt.pix.pixelformat == desc.pixelformat) {
        sizes.emplace_back(current.fmt.pix.width, current.fmt.pix.height);
      }
    }
    for (const auto& [width, height] : sizes) {
      if (std::any_of(modes.begin(), modes.end(), [&](const Mode& m) {
            return m.fourcc == desc.pixelformat && m.offer.width == width &&
                   m.offer.height == height;
          })) {
        continue;
      }
      Mode mode;
      mode.fourcc = desc.pixelformat;
      mode.offer.format = FormatNameOf(desc.pixelformat);
      mode.offer.width = width;
      mode.offer.height = height;
      mode.intervals = EnumerateIntervals(fd, desc.pixelformat, width, height);
      for (const v4l2_fract& interval : mode.intervals) mode.offer.fps.push_back(FpsOf(interval));
      modes.push_back(std::move(mode));
    }
  }
  return modes;
}

std::vector<Offer> OffersOf(const std::vector<Mode>& modes) {
  std::vector<Offer> offers;
  for (const Mode& mode : modes) offers.push_back(mode.offer);
  return offers;
}

Napi::Value V4l2Formats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty()) {
    throw Napi::TypeError::New(env, "v4l2Formats: device must be a path such as /dev/video0");
  }
  std::vector<Mode> modes;
  try {
    Fd fd = OpenCamera(info[0].As<Napi::String>().Utf8Value());
    modes = EnumerateModes(fd.get());
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, e.what());
  }
  Napi::Array list = Napi::Array::New(env, modes.size());
  for (size_t i = 0; i < modes.size(); ++i) {
    Napi::Object item = Napi::Object::New(env);
    item.Set("format", modes[i].offer.format);
    item.Set("width", modes[i].offer.width);
    item.Set("height", modes[i].offer.height);
    Napi::Array rates = Napi::Array::New(env, modes[i].offer.fps.size());
    for (size_t r = 0; r < modes[i].offer.fps.size(); ++r) rates.Set(r, modes[i].offer.fps[r]);
    item.Set("fps", rates);
    list.Set(i, item);
  }
  return list;
}

// What the capture asks the driver for, kept to ask again after the camera comes back.
struct Settings {
  std::string device;
  uint32_t fourcc = 0;
  std::string format;
  int width = 0;
  int height = 0;
  double fps = 0;
  v4l2_fract interval{0, 0};  // {0, 0}: leave the driver's rate alone
};

Settings SettingsFor(const std::string& device, const Choice& choice,
                     const std::vector<Mode>& modes) {
  Settings settings;
  settings.device = device;
  settings.format = choice.format;
  settings.width = choice.width;
  settings.height = choice.height;
  settings.fps = choice.fps;
  for (const Mode& mode : modes) {
    if (mode.offer.format != choice.format || mode.offer.width != choice.width ||
        mode.offer.height != choice.height) {
      continue;
    }
    if (choice.fps <= 0 || mode.intervals.empty()) {
      settings.fourcc = mode.fourcc;
      break;
    }
    const auto match = std::find_if(mode.intervals.begin(), mode.intervals.end(),
                                    [&](const v4l2_fract& i) { return FpsOf(i) == choice.fps; });
    if (match != mode.intervals.end()) {
      settings.fourcc = mode.fourcc;
      settings.interval = *match;
      break;
    }
  }
  if (settings.fps > 0 && settings.interval.numerator == 0) {
    // The driver lists no rates: ask for the wanted one as a fraction.
    const double rounded = std::round(settings.fps);
    settings.interval =
        rounded == settings.fps
            ? v4l2_fract{1, static_cast<uint32_t>(rounded)}
            : v4l2_fract{1000, static_cast<uint32_t>(std::lround(settings.fps * 1000))};
  }
  return settings;
}

// An open, configured camera and (after Start) its mmap'd buffers.
class Stream {
 public:
  Stream(Fd fd, const Settings& settings) : settings_(settings), fd_(std::move(fd)) { Configure(); }
  ~Stream() { Stop(); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void Start() {
    try {
      RequestBuffers();
      for (uint32_t i = 0; i < buffers_.size(); ++i) {
        v4l2_buffer buffer = EmptyBuffer();
        buffer.index = i;
        if (Xioctl(fd_.get(), VIDIOC_QBUF, &buffer) < 0) Fail("VIDIOC_QBUF");
      }
      v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      if (Xioctl(fd_.get(), VIDIOC_STREAMON, &type) < 0) Fail("VIDIOC_STREAMON");
      streaming_ = true;
    } catch (...) {
      Stop();
      throw;
    }
  }

  // Stops streaming and hands the buffers back; the device stays open and configured.
  void Stop() {
    if (streaming_) {
      v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      Xioctl(fd_.get(), VIDIOC_STREAMOFF, &type);
      streaming_ = false;
    }
    if (!buffers_.empty()) {
      for (const Mapping& m : buffers_) munmap(m.start, m.length);
      buffers_.clear();
      v4l2_requestbuffers release{};
      release.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      release.memory = V4L2_MEMORY_MMAP;
      Xioctl(fd_.get(), VIDIOC_REQBUFS, &release);
    }
  }

  static v4l2_buffer EmptyBuffer() {
    v4l2_buffer buffer{};
    buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buffer.memory = V4L2_MEMORY_MMAP;
    return buffer;
  }

  int fd() const { return fd_.get(); }
  size_t bytes_per_line() const { return bytes_per_line_; }
  size_t buffer_count() const { return buffers_.size(); }
  const uint8_t* data(uint32_t index) const {
    return static_cast<const uint8_t*>(buffers_[index].start);
  }
  size_t length(uint32_t index) const { return buffers_[index].length; }
  size_t size_image() const { return size_image_; }

 private:
  struct Mapping {
    void* start;
    size_t length;
  };

  [[noreturn]] void Fail(const char* call) const {
    const int error = errno;
    if (error == EBUSY) throw DeviceError(settings_.device, "busy (another program is using it)");
    if (error == ENODEV) throw DeviceError(settings_.device, "no such device");
    throw DeviceError(settings_.device, std::string(call) + ": " + std::strerror(error));
  }

  void Configure() {
    v4l2_format format{};
    format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    format.fmt.pix.width = static_cast<uint32_t>(settings_.width);
    format.fmt.pix.height = static_cast<uint32_t>(settings_.height);
    format.fmt.pix.pixelformat = settings_.fourcc;
    format.fmt.pix.field = V4L2_FIELD_NONE;
    if (Xioctl(fd_.get(), VIDIOC_S_FMT, &format) < 0) Fail("VIDIOC_S_FMT");
    if (format.fmt.pix.pixelformat != settings_.fourcc ||
        static_cast<int>(format.fmt.pix.width) != settings_.width ||
        static_cast<int>(format.fmt.pix.height) != settings_.height) {
      throw DeviceError(settings_.device,
                        "asked for " + Upper(settings_.format) + " " +
                            SizeText(settings_.width, settings_.height) + ", the driver set " +
                            Upper(FormatNameOf(format.fmt.pix.pixelformat)) + " " +
                            SizeText(static_cast<int>(format.fmt.pix.width),
                                     static_cast<int>(format.fmt.pix.height)));
    }
    const size_t natural = settings_.fourcc == V4L2_PIX_FMT_YUYV
                               ? static_cast<size_t>(settings_.width) * 2
                               : static_cast<size_t>(settings_.width);
    bytes_per_line_ = format.fmt.pix.bytesperline > 0 ? format.fmt.pix.bytesperline : natural;
    size_image_ = format.fmt.pix.sizeimage;

    if (settings_.interval.numerator == 0) return;
    v4l2_streamparm parm{};
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (Xioctl(fd_.get(), VIDIOC_G_PARM, &parm) < 0) return;  // driver without rate control
    if (!(parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) return;
    parm.parm.capture.timeperframe = settings_.interval;
    if (Xioctl(fd_.get(), VIDIOC_S_PARM, &parm) < 0) {
      const int error = errno;
      throw DeviceError(settings_.device, "cannot set " + FpsText(settings_.fps) +
                                              " fps (VIDIOC_S_PARM: " + std::strerror(error) + ")");
    }
  }

  void RequestBuffers() {
    // Few buffers: a frame never waits behind more than a couple of older ones.
    v4l2_requestbuffers request{};
    request.count = 4;
    request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    request.memory = V4L2_MEMORY_MMAP;
    if (Xioctl(fd_.get(), VIDIOC_REQBUFS, &request) < 0) Fail("VIDIOC_REQBUFS");
    if (request.count < 2) {
      throw DeviceError(settings_.device,
                        "the driver gave " + std::to_string(request.count) + " capture buffers");
    }
    for (uint32_t i = 0; i < request.count; ++i) {
      v4l2_buffer buffer = EmptyBuffer();
      buffer.index = i;
      if (Xioctl(fd_.get(), VIDIOC_QUERYBUF, &buffer) < 0) Fail("VIDIOC_QUERYBUF");
      void* start = mmap(nullptr, buffer.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(),
                         buffer.m.offset);
      if (start == MAP_FAILED) Fail("mmap");
      buffers_.push_back({start, buffer.length});
    }
  }

  Settings settings_;
  Fd fd_;
  bool streaming_ = false;
  size_t bytes_per_line_ = 0;
  size_t size_image_ = 0;
  std::vector<Mapping> buffers_;
};

// libavcodec's MJPEG decoder with a reused input buffer, so the V4L2 buffer can go back to the
// driver as soon as its bytes are copied, before the decode.
class MjpegDecoder {
 public:
  explicit MjpegDecoder(const std::string& device) {
    const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
    if (codec == nullptr) throw DeviceError(device, "this libavcodec has no MJPEG decoder");
    context_ = avcodec_alloc_context3(codec);
    packet_ = av_packet_alloc();
    decoded_ = av_frame_alloc();
    if (context_ == nullptr || packet_ == nullptr || decoded_ == nullptr) {
      Free();
      throw std::bad_alloc();
    }
    context_->thread_count = 1;  // frame threads would add a frame of latency
    context_->flags |= AV_CODEC_FLAG_LOW_DELAY;
    const int result = avcodec_open2(context_, codec, nullptr);
    if (result < 0) {
      Free();
      throw DeviceError(device, "cannot open the MJPEG decoder: " + AvError(result));
    }
  }
  ~MjpegDecoder() { Free(); }
  MjpegDecoder(const MjpegDecoder&) = delete;
  MjpegDecoder& operator=(const MjpegDecoder&) = delete;

  void Load(const uint8_t* data, size_t size, size_t capacity_hint) {
    const size_t need = size + AV_INPUT_BUFFER_PADDING_SIZE;
    // Writable: the decoder let go of the last packet, so its memory can be reused.
    if (input_ == nullptr || static_cast<size_t>(input_->size) < need ||
        !av_buffer_is_writable(input_)) {
      av_buffer_unref(&input_);
      input_ = av_buffer_alloc(std::max(need, capacity_hint + AV_INPUT_BUFFER_PADDING_SIZE));
      if (input_ == nullptr) throw std::bad_alloc();
    }
    std::memcpy(input_->data, data, size);
    std::memset(input_->data + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    input_size_ = size;
  }

  // The loaded picture in NV12, or nullptr when it does not decode cleanly (a truncated JPEG
  // from a USB hiccup would show as a grey band; better to skip it).
  FramePtr Decode(FrameConverter& converter) {
    av_frame_unref(decoded_);
    packet_->buf = av_buffer_ref(input_);
    if (packet_->buf == nullptr) throw std::bad_alloc();
    packet_->data = input_->data;
    packet_->size = static_cast<int>(input_size_);
    const int sent = avcodec_send_packet(context_, packet_);
    av_packet_unref(packet_);
    if (sent < 0) return nullptr;
    if (avcodec_receive_frame(context_, decoded_) < 0) return nullptr;
    if (decoded_->decode_error_flags != 0 || (decoded_->flags & AV_FRAME_FLAG_CORRUPT) != 0) {
      av_frame_unref(decoded_);
      return nullptr;
    }
    FramePtr out = converter.Convert(decoded_);
    av_frame_unref(decoded_);
    return out;
  }

 private:
  void Free() {
    av_buffer_unref(&input_);
    av_frame_free(&decoded_);
    av_packet_free(&packet_);
    avcodec_free_context(&context_);
  }

  AVCodecContext* context_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* decoded_ = nullptr;
  AVBufferRef* input_ = nullptr;
  size_t input_size_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Delivery to JS: a queue the capture thread fills and one ThreadSafeFunction call drains.

struct Pending {
  enum class Kind { kFrame, kLost, kReacquired };
  Kind kind = Kind::kFrame;
  FramePtr frame;
  int64_t capture_us = 0;
  int64_t frame_number = -1;
  std::string reason;
};

struct EventQueue;
struct EventQueueRef {
  std::shared_ptr<EventQueue> queue;
};
void DeliverEvents(Napi::Env env, Napi::Function callback, EventQueueRef* ref, void* data);
using EventTsfn = Napi::TypedThreadSafeFunction<EventQueueRef, void, DeliverEvents>;

// One per start(). At most one TSFN call is outstanding, from NonBlockingCall until JS has
// handled what it carried: a frame that arrives meanwhile replaces the one not yet handed over
// (newest wins), so a slow JS side costs dropped frames, never a blocked capture thread or a
// growing queue. Lost/reacquired events are never replaced.
//
// Not scheduling while the JS callback runs also matters: Node keeps dispatching a TSFN for as
// long as calls arrive during its callback (up to 1000 in a row), so a handler slower than the
// frame interval would starve every timer and socket on that thread. A frame that came in during
// the callback waits for the next capture to schedule it, and is replaced by that one anyway.
struct EventQueue {
  std::mutex mutex;
  std::deque<Pending> pending;
  bool call_scheduled = false;
  bool released = false;   // the owner released the TSFN: no more calls
  bool finalized = false;  // the TSFN is gone
  EventTsfn tsfn;

  // With `mutex` held.
  void ScheduleLocked() {
    if (call_scheduled || pending.empty() || released || finalized) return;
    if (tsfn.NonBlockingCall() == napi_ok) {
      call_scheduled = true;
    } else {
      pending.clear();  // closing: nobody will read them
    }
  }

  // With `mutex` held: a call for the events (not frames) that came in during the callback.
  void CallbackDoneLocked() {
    call_scheduled = false;
    if (std::any_of(pending.begin(), pending.end(),
                    [](const Pending& item) { return item.kind != Pending::Kind::kFrame; })) {
      ScheduleLocked();
    }
  }
};

void DeliverEvents(Napi::Env env, Napi::Function callback, EventQueueRef* ref, void*) {
  EventQueue& queue = *ref->queue;
  std::deque<Pending> batch;
  {
    std::lock_guard<std::mutex> lock(queue.mutex);
    batch.swap(queue.pending);
  }
  // Also when the callback throws: the next capture must be able to schedule again.
  struct Done {
    EventQueue& queue;
    ~Done() {
      std::lock_guard<std::mutex> lock(queue.mutex);
      queue.CallbackDoneLocked();
    }
  } done{queue};
  if (env == nullptr || callback.IsEmpty()) return;
  for (Pending& item : batch) {
    {
      // stop() from inside an earlier event's handler: nothing after it is delivered.
      std::lock_guard<std::mutex> lock(queue.mutex);
      if (queue.released || queue.finalized) return;
    }
    Napi::Object event = Napi::Object::New(env);
    switch (item.kind) {
      case Pending::Kind::kFrame:
        event.Set("kind", "frame");
        event.Set("frame",
                  VideoFrame::New(env, std::move(item.frame), item.capture_us, item.frame_number));
        break;
      case Pending::Kind::kLost:
        event.Set("kind", "lost");
        event.Set("reason", item.reason);
        break;
      case Pending::Kind::kReacquired:
        event.Set("kind", "reacquired");
        break;
    }
    callback.Call({event});
  }
}

// captureUs: the kernel's buffer timestamp (taken at capture, on CLOCK_MONOTONIC) moved onto
// CLOCK_REALTIME by its age, so queueing in the driver counts as latency. Falls back to now
// when the driver stamps another clock or the stamp is implausible.
int64_t CaptureUs(const v4l2_buffer& buffer) {
  const int64_t realtime = RealtimeNowUs();
  if ((buffer.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) {
    return realtime;
  }
  const int64_t stamp =
      static_cast<int64_t>(buffer.timestamp.tv_sec) * 1000000 + buffer.timestamp.tv_usec;
  const int64_t age = MonotonicNowUs() - stamp;
  if (stamp <= 0 || age < 0 || age > 5000000) return realtime;
  return realtime - age;
}

// ---------------------------------------------------------------------------------------------
// The JS class.

class V4l2Capture : public Napi::ObjectWrap<V4l2Capture> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "V4l2Capture",
                                      {
                                          InstanceMethod<&V4l2Capture::Start>("start"),
                                          InstanceMethod<&V4l2Capture::Stop>("stop"),
                                          InstanceMethod<&V4l2Capture::Close>("close"),
                                          InstanceMethod<&V4l2Capture::Stats>("stats"),
                                          InstanceMethod<&V4l2Capture::ModeInfo>("mode"),
                                      });
    exports.Set("V4l2Capture", ctor);
  }

  explicit V4l2Capture(const Napi::CallbackInfo& info) : Napi::ObjectWrap<V4l2Capture>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "camera options must be an object");
    Napi::Object options = info[0].As<Napi::Object>();
    if (!options.Get("device").IsString()) {
      throw Napi::TypeError::New(env, "camera device must be a path such as /dev/video0");
    }
    const Want want = ParseWant(options, "camera");
    Napi::Value convert = options.Get("convert");
    const std::string conversion =
        convert.IsUndefined() ? "cpu"
                              : (convert.IsString() ? convert.As<Napi::String>().Utf8Value() : "");
    if (conversion != "cpu" && conversion != "cuda") {
      throw Napi::TypeError::New(env, "camera convert must be 'cpu' or 'cuda'");
    }
#ifndef DOORWAY_HAS_CUDA
    if (conversion == "cuda")
      throw Napi::Error::New(env, "camera conversion 'cuda' is not in this build");
#endif
    if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "camera onEvent must be a function");

    try {
      Fd fd = OpenCamera(want.device);
      const std::vector<Mode> modes = EnumerateModes(fd.get());
      const Choice choice = ChooseFormat(OffersOf(modes), want);
      settings_ = SettingsFor(want.device, choice, modes);
      stream_ = std::make_unique<Stream>(std::move(fd), settings_);
      pool_ = std::make_unique<FramePool>(settings_.width, settings_.height, AV_PIX_FMT_NV12);
      if (settings_.format == "mjpeg") {
        mjpeg_ = std::make_unique<MjpegDecoder>(want.device);
        converter_ =
            std::make_unique<FrameConverter>(AV_PIX_FMT_NV12, settings_.width, settings_.height);
        conversion_ = "mjpeg";
      } else if (settings_.format == "yuyv") {
        conversion_ = "cpu";
#ifdef DOORWAY_HAS_CUDA
        if (conversion == "cuda") {
          try {
            gpu_ = std::make_unique<CudaYuyvToNv12>(settings_.width, settings_.height);
          } catch (const std::runtime_error& e) {
            throw DeviceError(want.device, e.what());
          }
          conversion_ = "cuda";
        }
#endif
      } else {
        conversion_ = "copy";
      }
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    wake_.reset(new Fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)));
    if (wake_->get() < 0)
      throw Napi::Error::New(env, "camera: eventfd: " + std::string(std::strerror(errno)));
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    env_ = env;
    napi_add_env_cleanup_hook(env, OnEnvCleanup, this);
    cleanup_hook_added_ = true;
  }

  ~V4l2Capture() override {
    StopThread(/*release_tsfn=*/!env_cleaned_);
    if (cleanup_hook_added_ && !env_cleaned_)
      napi_remove_env_cleanup_hook(env_, OnEnvCleanup, this);
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) throw Napi::Error::New(env, Subject(settings_.device) + " is closed");
    if (thread_.joinable()) return env.Undefined();
    try {
      if (!stream_) stream_ = std::make_unique<Stream>(OpenCamera(settings_.device), settings_);
      stream_->Start();
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    auto queue = std::make_shared<EventQueue>();
    auto ref = std::make_unique<EventQueueRef>(EventQueueRef{queue});
    try {
      queue->tsfn = EventTsfn::New(env, callback_.Value(), "doorway camera", 0, 1, ref.get(),
                                   [](Napi::Env, void*, EventQueueRef* done) {
                                     {
                                       std::lock_guard<std::mutex> lock(done->queue->mutex);
                                       done->queue->finalized = true;
                                       done->queue->pending.clear();
                                     }
                                     delete done;
                                   });
    } catch (...) {
      stream_->Stop();
      throw;
    }
    ref.release();  // the TSFN's finalizer owns it now
    queue_ = std::move(queue);
    // A streaming camera keeps its handle (and so the callback) alive until stop().
    Ref();
    stopping_ = false;
    thread_ = std::thread([this, queue = queue_] { Run(*queue); });
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (thread_.joinable()) {
      StopThread(true);
      Unref();
    }
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop(info);
    stream_.reset();
    closed_ = true;
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("captured", static_cast<double>(captured_.load()));
    out.Set("dropped", static_cast<double>(dropped_.load()));
    out.Set("lost", static_cast<double>(lost_.load()));
    out.Set("reacquired", static_cast<double>(reacquired_.load()));
    out.Set("corrupt", static_cast<double>(corrupt_.load()));
    return out;
  }

  // What 'auto' settled on, and how frames become NV12: copy | cpu | cuda | mjpeg.
  Napi::Value ModeInfo(const Napi::CallbackInfo& info) {
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("device", settings_.device);
    out.Set("format", settings_.format);
    out.Set("width", settings_.width);
    out.Set("height", settings_.height);
    out.Set("fps", settings_.fps);
    out.Set("conversion", conversion_);
    return out;
  }

  static void OnEnvCleanup(void* arg) {
    auto* self = static_cast<V4l2Capture*>(arg);
    self->env_cleaned_ = true;
    // Node closes the TSFN itself at teardown; only the thread and the device are ours to end.
    self->StopThread(false);
    self->stream_.reset();
  }

  // Joins the capture thread (no JS), stops streaming and ends this start()'s event queue.
  void StopThread(bool release_tsfn) {
    if (!thread_.joinable()) return;
    stopping_ = true;
    const uint64_t one = 1;
    if (write(wake_->get(), &one, sizeof one) < 0) {
      // The counter cannot overflow at one write per stop; the thread also checks stopping_.
    }
    thread_.join();
    uint64_t drained = 0;
    if (read(wake_->get(), &drained, sizeof drained) < 0) {
      // Nothing to drain.
    }
    if (stream_) stream_->Stop();
    {
      std::lock_guard<std::mutex> lock(queue_->mutex);
      queue_->pending.clear();
      if (release_tsfn && !queue_->released && !queue_->finalized) queue_->tsfn.Release();
      queue_->released = true;
    }
    queue_.reset();
  }

  // ----- capture thread

  // True when stop() asked the thread to end (within `timeout_ms`).
  bool WaitForStop(int timeout_ms) {
    pollfd wake{wake_->get(), POLLIN, 0};
    poll(&wake, 1, timeout_ms);
    return stopping_.load();
  }

  void Post(EventQueue& queue, Pending&& item) {
    std::lock_guard<std::mutex> lock(queue.mutex);
    if (queue.released || queue.finalized) return;
    if (item.kind == Pending::Kind::kFrame && !queue.pending.empty() &&
        queue.pending.back().kind == Pending::Kind::kFrame) {
      queue.pending.back() = std::move(item);  // JS never saw the older one
      dropped_.fetch_add(1);
    } else {
      queue.pending.push_back(std::move(item));
    }
    queue.ScheduleLocked();
  }

  void Lose(EventQueue& queue, const std::string& reason) {
    stream_.reset();
    lost_.fetch_add(1);
    Pending item;
    item.kind = Pending::Kind::kLost;
    item.reason = Subject(settings_.device) + ": " + reason;
    Post(queue, std::move(item));
  }

  void LoseErrno(EventQueue& queue, const char* call) {
    Lose(queue, std::string(call) + ": " + std::strerror(errno));
  }

  // Every 500 ms until stop(): open the same device with the same settings.
  void Reacquire(EventQueue& queue) {
    if (WaitForStop(500)) return;
    try {
      auto stream = std::make_unique<Stream>(OpenCamera(settings_.device), settings_);
      stream->Start();
      stream_ = std::move(stream);
    } catch (const std::exception&) {
      return;  // still gone, busy or changed; try again
    }
    reacquired_.fetch_add(1);
    Pending item;
    item.kind = Pending::Kind::kReacquired;
    Post(queue, std::move(item));
  }

  bool Requeue(EventQueue& queue, v4l2_buffer& buffer) {
    if (Xioctl(stream_->fd(), VIDIOC_QBUF, &buffer) == 0) return true;
    LoseErrno(queue, "VIDIOC_QBUF");
    return false;
  }

  void Run(EventQueue& queue) {
    while (!stopping_.load()) {
      if (!stream_) {
        Reacquire(queue);
        continue;
      }
      pollfd fds[2] = {{stream_->fd(), POLLIN, 0}, {wake_->get(), POLLIN, 0}};
      const int ready = poll(fds, 2, 1000);
      if (stopping_.load()) break;
      if (ready < 0) {
        if (errno != EINTR) LoseErrno(queue, "poll");
        continue;
      }
      if (ready == 0) continue;
      if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
        Lose(queue, "the device reported an error (unplugged?)");
        continue;
      }
      if (fds[0].revents & POLLIN) TakeNewest(queue);
    }
  }

  // Dequeues every ready buffer and keeps only the newest: older ones go straight back to the
  // driver (counted as dropped), so a late thread catches up instead of showing stale frames.
  void TakeNewest(EventQueue& queue) {
    v4l2_buffer newest = Stream::EmptyBuffer();
    bool have = false;
    for (;;) {
      v4l2_buffer buffer = Stream::EmptyBuffer();
      if (Xioctl(stream_->fd(), VIDIOC_DQBUF, &buffer) < 0) {
        if (errno == EAGAIN) break;
        LoseErrno(queue, "VIDIOC_DQBUF");
        return;
      }
      if (have) {
        dropped_.fetch_add(1);
        if (!Requeue(queue, newest)) return;
      }
      newest = buffer;
      have = true;
    }
    if (have) Deliver(queue, newest);
  }

  void Deliver(EventQueue& queue, v4l2_buffer& buffer) {
    const int64_t capture_us = CaptureUs(buffer);
    const int64_t frame_number = buffer.sequence;
    if (buffer.index >= stream_->buffer_count() || (buffer.flags & V4L2_BUF_FLAG_ERROR) != 0) {
      corrupt_.fetch_add(1);
      Requeue(queue, buffer);
      return;
    }
    const uint8_t* data = stream_->data(buffer.index);
    const size_t used =
        std::min<size_t>(buffer.bytesused > 0 ? buffer.bytesused : stream_->length(buffer.index),
                         stream_->length(buffer.index));
    FramePtr out;
    bool requeued = false;
    try {
      if (mjpeg_) {
        mjpeg_->Load(data, used, stream_->size_image());
        requeued = true;
        if (!Requeue(queue, buffer)) return;
        out = mjpeg_->Decode(*converter_);
      } else {
        out = ConvertRaw(data, used);
      }
    } catch (const std::exception&) {
      out.reset();
    }
    if (!requeued && !Requeue(queue, buffer)) return;
    if (!out) {
      corrupt_.fetch_add(1);
      return;
    }
    captured_.fetch_add(1);
    Pending item;
    item.kind = Pending::Kind::kFrame;
    item.frame = std::move(out);
    item.capture_us = capture_us;
    item.frame_number = frame_number;
    Post(queue, std::move(item));
  }

  // NV12 (one copy) or YUYV (converted) into a pooled NV12 frame; nullptr for a short buffer.
  FramePtr ConvertRaw(const uint8_t* data, size_t used) {
    const size_t pitch = stream_->bytes_per_line();
    const int width = settings_.width;
    const int height = settings_.height;
    const size_t rows = settings_.fourcc == V4L2_PIX_FMT_NV12 ? static_cast<size_t>(height) * 3 / 2
                                                              : static_cast<size_t>(height);
    if (used < pitch * rows) return nullptr;
    FramePtr out = pool_->Acquire();
    if (settings_.fourcc == V4L2_PIX_FMT_NV12) {
      av_image_copy_plane(out->data[0], out->linesize[0], data, static_cast<int>(pitch), width,
                          height);
      av_image_copy_plane(out->data[1], out->linesize[1], data + pitch * height,
                          static_cast<int>(pitch), width, height / 2);
      return out;
    }
#ifdef DOORWAY_HAS_CUDA
    if (gpu_) {
      gpu_->Convert(data, pitch, out.get());
      return out;
    }
#endif
    YuyvToNv12Cpu(data, pitch, out->data[0], static_cast<size_t>(out->linesize[0]), out->data[1],
                  static_cast<size_t>(out->linesize[1]), width, height);
    return out;
  }

  Settings settings_;
  std::string conversion_;
  Napi::FunctionReference callback_;
  Napi::Env env_ = nullptr;
  bool cleanup_hook_added_ = false;
  bool env_cleaned_ = false;
  bool closed_ = false;

  // Used by the capture thread while it runs, by the JS thread only while it does not.
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<FramePool> pool_;
  std::unique_ptr<FrameConverter> converter_;
  std::unique_ptr<MjpegDecoder> mjpeg_;
#ifdef DOORWAY_HAS_CUDA
  std::unique_ptr<CudaYuyvToNv12> gpu_;
#endif

  std::unique_ptr<Fd> wake_;  // eventfd: stop() wakes the thread's poll
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::shared_ptr<EventQueue> queue_;

  std::atomic<uint64_t> captured_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> lost_{0};
  std::atomic<uint64_t> reacquired_{0};
  std::atomic<uint64_t> corrupt_{0};
};

}  // namespace

void RegisterV4l2Capture(Napi::Env env, Napi::Object exports) {
  V4l2Capture::Register(env, exports);
  exports.Set("v4l2Formats", Napi::Function::New(env, V4l2Formats, "v4l2Formats"));
  exports.Set("v4l2ChooseFormat", Napi::Function::New(env, V4l2ChooseFormat, "v4l2ChooseFormat"));
}

}  // namespace doorway::video
