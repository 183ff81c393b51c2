// voxrtc_core_bench: the C++ ceiling for `npm run bench`.
//
// Runs the operations of bench/run.ts on the same speech, through the same
// core classes the addon wraps (voxrtc::OpusEncoderCore, OpusDecoderCore,
// ResamplerCore), called the way native/src calls them, and reports
// microseconds per 20 ms frame.
//
//   voxrtc_core_bench --input48 speech-48000.s16 --input16 speech-16000.s16 \
//                     --input44 speech-44100.s16 [--packets-out packets.bin]
//                     [--only ID,ID,...] [--min-time 0.5] [--warmup 0]
//                     [--min-repeats 3] [--max-repeats 20] [--serve]
//
// Inputs are raw signed 16-bit little-endian mono files. A "pass" processes
// every 20 ms frame of the input once. Each operation first runs one pass on a
// fresh object to fingerprint its output (FNV-1a, so bench/run.ts can check
// that voxrtc produced the same bytes); that pass is also the warm-up.
//
// Batch mode (default): for each operation, times passes on the same object
// (at least --min-repeats, until --min-time seconds or --max-repeats) with
// std::chrono::steady_clock and with the process CPU clock, and prints one
// JSON object with the best (minimum), median and worst pass of each.
//
// --serve: bench/run.ts drives the timing, so that it can interleave this
// program's work with the JavaScript implementations' in blocks of frames (a
// slow moment of a shared machine then hits every implementation alike). One
// command per line on stdin, one JSON line per command on stdout:
//   setup ID          -> {"id", "frames", "fingerprint", "outputPerPass"}
//   run ID FROM TO    -> {"id", "wallUs", "cpuUs"}   (frames [FROM, TO), total µs)
//   close ID          -> {"closed"}
//   quit (or end of input)
//
// --packets-out writes the packets of the complexity-10 encoder (from a fresh
// state), which every decoder in the benchmark decodes: each packet as a
// 2-byte little-endian length followed by its bytes.
//
// Operation ids: opus-encode-c<COMPLEXITY>, opus-decode,
// resample-<IN>-<OUT>-<f32|s16>-<fastest|medium|best>.

#include <opus.h>
#include <samplerate.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../core/opus_codec.h"
#include "../core/resampler_core.h"
#include "../core/sample_convert.h"

namespace {

using Clock = std::chrono::steady_clock;
using Packets = std::vector<std::vector<uint8_t>>;

constexpr int kFrameMs = 20;
constexpr int kOpusRate = 48000;
constexpr int kOpusFrame = kOpusRate * kFrameMs / 1000;  // 960
constexpr int kBitrate = 32000;
constexpr int kDecodeComplexity = 10;  // every decoder decodes this encoder's packets

// What batch mode runs when --only is not given (the same list as bench/run.ts).
const char* const kDefaultOperations[] = {
    "opus-encode-c10",
    "opus-encode-c5",
    "opus-decode",
    "resample-48000-16000-f32-medium",
    "resample-16000-48000-f32-medium",
    "resample-44100-48000-f32-medium",
    "resample-48000-16000-s16-medium",
    "resample-48000-16000-f32-fastest",
    "resample-16000-48000-f32-fastest",
    "resample-44100-48000-f32-fastest",
    "resample-48000-16000-s16-fastest",
};

struct Options {
  std::string input48, input16, input44, packetsOut, only;
  double minTime = 0.5;
  double warmup = 0;
  int minRepeats = 3;
  int maxRepeats = 20;
  bool serve = false;
};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "voxrtc_core_bench: %s\n", message.c_str());
  std::exit(1);
}

// Keeps results observable so the optimizer cannot drop any work.
volatile uint64_t g_sink = 0;

// ---- fingerprints ---------------------------------------------------------

struct Fnv1a {
  uint32_t h = 2166136261u;
  void Add(const void* data, size_t bytes) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 16777619u;
  }
  // A packet: its 2-byte little-endian length, then its bytes.
  void AddPacket(const uint8_t* packet, int bytes) {
    const uint8_t length[2] = {static_cast<uint8_t>(bytes & 0xff), static_cast<uint8_t>(bytes >> 8)};
    Add(length, 2);
    Add(packet, static_cast<size_t>(bytes));
  }
  std::string Hex() const {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", h);
    return text;
  }
};

// ---- input ----------------------------------------------------------------

struct Speech {
  int rate = 0;
  int chunk = 0;   // samples per 20 ms frame
  int frames = 0;  // whole 20 ms frames in the file
  std::vector<int16_t> s16;
  std::vector<float> f32;  // s16 / 32768, as voxrtc's S16ToF32 and the JS side make it
};

Speech LoadSpeech(const std::string& path, int rate) {
  std::ifstream file(path, std::ios::binary);
  if (!file) Fail("cannot read " + path);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  Speech speech;
  speech.rate = rate;
  speech.chunk = rate * kFrameMs / 1000;
  speech.frames = static_cast<int>(bytes.size() / 2 / speech.chunk);
  if (speech.frames == 0) Fail(path + " holds less than one 20 ms frame");
  speech.s16.resize(static_cast<size_t>(speech.frames) * speech.chunk);
  for (size_t i = 0; i < speech.s16.size(); ++i) {  // little-endian, whatever the host
    speech.s16[i] = static_cast<int16_t>(static_cast<uint8_t>(bytes[2 * i]) |
                                         (static_cast<uint8_t>(bytes[2 * i + 1]) << 8));
  }
  speech.f32.resize(speech.s16.size());
  voxrtc::S16ToF32(speech.s16.data(), speech.f32.data(), speech.s16.size());
  return speech;
}

struct Inputs {
  Speech s48, s16, s44;
  Packets packets;  // made on first use

  const Speech& At(int rate) const {
    if (rate == 48000) return s48;
    if (rate == 16000) return s16;
    if (rate == 44100) return s44;
    Fail("no speech at " + std::to_string(rate) + " Hz (have 48000, 44100, 16000)");
  }
};

// ---- operations -----------------------------------------------------------

class Operation {
 public:
  explicit Operation(int frames) : frames_(frames) {}
  virtual ~Operation() = default;
  int frames() const { return frames_; }
  // Processes frames [from, to) in order, continuing the stream; returns
  // bytes or samples produced. With fnv, also fingerprints the output.
  virtual uint64_t Run(int from, int to, Fnv1a* fnv) = 0;
  uint64_t Pass(Fnv1a* fnv) { return Run(0, frames_, fnv); }

 private:
  int frames_;
};

// Configured as bench/peers.ts configures voxrtc's OpusEncoder: 48 kHz mono,
// application voip, 32 kb/s, FEC off, 0 % expected loss, DTX off.
class EncodeOperation : public Operation {
 public:
  EncodeOperation(const Speech& speech, int complexity)
      : Operation(speech.frames), speech_(speech), core_(kOpusRate, 1, OPUS_APPLICATION_VOIP) {
    if (speech.rate != kOpusRate) Fail("opus encode needs 48 kHz speech");
    if (core_.error() != OPUS_OK) Fail("opus_encoder_create: " + voxrtc::OpusErrorText(core_.error()));
    if (core_.SetBitrate(kBitrate) != OPUS_OK || core_.SetComplexity(complexity) != OPUS_OK ||
        core_.SetInbandFec(false) != OPUS_OK || core_.SetPacketLossPercent(0) != OPUS_OK ||
        core_.SetDtx(false) != OPUS_OK) {
      Fail("opus_encoder_ctl failed");
    }
  }

  // Each frame as OpusEncoderWrap::EncodeInto encodes it: into a caller-owned
  // 4000-byte buffer.
  uint64_t Run(int from, int to, Fnv1a* fnv) override { return Encode(from, to, fnv, nullptr); }

  uint64_t Encode(int from, int to, Fnv1a* fnv, Packets* packets) {
    uint64_t bytes = 0;
    for (int f = from; f < to; ++f) {
      const int rc = core_.Encode(speech_.s16.data() + static_cast<size_t>(f) * kOpusFrame,
                                  kOpusFrame, out_, voxrtc::kMaxOpusPacketBytes);
      if (rc < 0) Fail("opus_encode: " + voxrtc::OpusErrorText(rc));
      bytes += static_cast<uint64_t>(rc);
      if (fnv != nullptr) fnv->AddPacket(out_, rc);
      if (packets != nullptr) packets->emplace_back(out_, out_ + rc);
    }
    return bytes;
  }

 private:
  const Speech& speech_;
  voxrtc::OpusEncoderCore core_;
  uint8_t out_[voxrtc::kMaxOpusPacketBytes];
};

const Packets& DecoderInput(Inputs& inputs) {
  if (inputs.packets.empty()) {
    EncodeOperation(inputs.s48, kDecodeComplexity).Encode(0, inputs.s48.frames, nullptr, &inputs.packets);
  }
  return inputs.packets;
}

class DecodeOperation : public Operation {
 public:
  explicit DecodeOperation(const Packets& packets)
      : Operation(static_cast<int>(packets.size())), packets_(packets), core_(kOpusRate, 1) {
    if (core_.error() != OPUS_OK) Fail("opus_decoder_create: " + voxrtc::OpusErrorText(core_.error()));
  }

  // Each packet as OpusDecoderWrap::DecodeInto decodes it into a 20 ms
  // (960-sample) Int16 `out`.
  uint64_t Run(int from, int to, Fnv1a* fnv) override {
    uint64_t samples = 0;
    for (int p = from; p < to; ++p) {
      const std::vector<uint8_t>& packet = packets_[static_cast<size_t>(p)];
      const int rc = core_.Decode(packet.data(), static_cast<int>(packet.size()), out_, kOpusFrame, false);
      if (rc < 0) Fail("opus_decode: " + voxrtc::OpusErrorText(rc));
      samples += static_cast<uint64_t>(rc);
      if (fnv != nullptr) fnv->Add(out_, static_cast<size_t>(rc) * sizeof(int16_t));
    }
    return samples;
  }

 private:
  const Packets& packets_;
  voxrtc::OpusDecoderCore core_;
  int16_t out_[kOpusFrame];
};

// Output capacity in samples for one chunk; bench/peers.ts uses the same
// formula for the JS implementations.
long OutputCapacity(int chunk, int inputRate, int outputRate) {
  return 2L * ((static_cast<long>(chunk) * outputRate + inputRate - 1) / inputRate) + 256;
}

// Streams the speech through one converter in 20 ms chunks, as
// ResamplerWrap::ProcessInto does: check the bound, then Process (float) or
// ProcessS16 (int16) with endOfInput = false.
template <typename Sample>
class ResampleOperation : public Operation {
 public:
  ResampleOperation(const Speech& speech, int outputRate, int quality)
      : Operation(speech.frames),
        speech_(speech),
        core_(speech.rate, outputRate, 1, quality),
        out_(static_cast<size_t>(OutputCapacity(speech.chunk, speech.rate, outputRate))) {
    if (core_.error() != 0) Fail("src_new: " + core_.errorText());
  }

  uint64_t Run(int from, int to, Fnv1a* fnv) override {
    const Sample* input = Input();
    const long capacity = static_cast<long>(out_.size());
    uint64_t written = 0;
    for (int f = from; f < to; ++f) {
      const Sample* chunk = input + static_cast<size_t>(f) * speech_.chunk;
      if (capacity < core_.MaxOutputFrames(speech_.chunk)) Fail("resampler output buffer too small");
      long n;
      if constexpr (std::is_same_v<Sample, float>) {
        n = core_.Process(chunk, speech_.chunk, out_.data(), capacity, false);
      } else {
        n = core_.ProcessS16(chunk, speech_.chunk, out_.data(), capacity, false);
      }
      if (n < 0) Fail("libsamplerate: " + core_.errorText());
      written += static_cast<uint64_t>(n);
      if (fnv != nullptr) fnv->Add(out_.data(), static_cast<size_t>(n) * sizeof(Sample));
    }
    return written;
  }

 private:
  const Sample* Input() const {
    if constexpr (std::is_same_v<Sample, float>) {
      return speech_.f32.data();
    } else {
      return speech_.s16.data();
    }
  }

  const Speech& speech_;
  voxrtc::ResamplerCore core_;
  std::vector<Sample> out_;
};

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

int ParseInt(const std::string& text, const std::string& id) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') Fail("bad number \"" + text + "\" in operation " + id);
  return static_cast<int>(value);
}

std::unique_ptr<Operation> MakeOperation(const std::string& id, Inputs& inputs) {
  const std::string encodePrefix = "opus-encode-c";
  if (id.rfind(encodePrefix, 0) == 0) {
    return std::make_unique<EncodeOperation>(inputs.s48, ParseInt(id.substr(encodePrefix.size()), id));
  }
  if (id == "opus-decode") return std::make_unique<DecodeOperation>(DecoderInput(inputs));
  const std::vector<std::string> parts = Split(id, '-');  // resample-IN-OUT-FORMAT-QUALITY
  if (parts.size() == 5 && parts[0] == "resample") {
    const Speech& speech = inputs.At(ParseInt(parts[1], id));
    const int outputRate = ParseInt(parts[2], id);
    const std::map<std::string, int> qualities = {{"best", SRC_SINC_BEST_QUALITY},
                                                  {"medium", SRC_SINC_MEDIUM_QUALITY},
                                                  {"fastest", SRC_SINC_FASTEST}};
    const auto quality = qualities.find(parts[4]);
    if (quality == qualities.end()) Fail("unknown quality in " + id);
    if (parts[3] == "f32") return std::make_unique<ResampleOperation<float>>(speech, outputRate, quality->second);
    if (parts[3] == "s16") return std::make_unique<ResampleOperation<int16_t>>(speech, outputRate, quality->second);
  }
  Fail("unknown operation " + id + " (see the comment at the top of core_bench.cc)");
}

// ---- timing ---------------------------------------------------------------

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU time of this process: unlike the wall clock it leaves out the time other
// processes take on the same core (not time the host takes from the VM).
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct RunTime {
  double wallUs;  // std::chrono::steady_clock
  double cpuUs;   // CLOCK_PROCESS_CPUTIME_ID
};

RunTime TimeRun(Operation& op, int from, int to) {
  const double cpuA = CpuSeconds();
  const Clock::time_point a = Clock::now();
  g_sink = g_sink + op.Run(from, to, nullptr);
  const Clock::time_point b = Clock::now();
  const double cpuB = CpuSeconds();
  return RunTime{Seconds(b - a) * 1e6, (cpuB - cpuA) * 1e6};
}

struct Stats {
  double min = 0, median = 0, max = 0;
};

Stats Summarize(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return Stats{values.front(), n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2,
               values.back()};
}

struct Result {
  std::string id;
  int frames = 0;
  int repeats = 0;
  Stats wall, cpu;
  std::string fingerprint;
  uint64_t outputPerPass = 0;  // bytes (encode) or samples (decode, resample) of the fresh pass
};

// Fingerprint pass (also the warm-up), --warmup seconds of extra passes, then
// timed passes: at least minRepeats, until minTime seconds or maxRepeats.
Result Measure(const std::string& id, Inputs& inputs, const Options& options) {
  std::unique_ptr<Operation> op = MakeOperation(id, inputs);
  Result result;
  result.id = id;
  result.frames = op->frames();
  Fnv1a fnv;
  result.outputPerPass = op->Pass(&fnv);
  result.fingerprint = fnv.Hex();

  const Clock::time_point warmStart = Clock::now();
  while (Seconds(Clock::now() - warmStart) < options.warmup) g_sink = g_sink + op->Pass(nullptr);

  std::vector<double> wall, cpu;
  const Clock::time_point start = Clock::now();
  while (static_cast<int>(wall.size()) < options.minRepeats ||
         (static_cast<int>(wall.size()) < options.maxRepeats &&
          Seconds(Clock::now() - start) < options.minTime)) {
    const RunTime t = TimeRun(*op, 0, op->frames());
    wall.push_back(t.wallUs / op->frames());
    cpu.push_back(t.cpuUs / op->frames());
  }
  result.repeats = static_cast<int>(wall.size());
  result.wall = Summarize(wall);
  result.cpu = Summarize(cpu);
  std::fprintf(stderr, "  c++ %-34s %9.3f us/frame wall (median %.3f), %9.3f cpu, %d passes\n",
               id.c_str(), result.wall.min, result.wall.median, result.cpu.min, result.repeats);
  return result;
}

// ---- modes ----------------------------------------------------------------

void PrintBatchJson(const std::vector<Result>& results, const Options& options) {
  std::printf("{\n  \"program\": \"voxrtc_core_bench\",\n");
  std::printf("  \"opusVersion\": \"%s\",\n", opus_get_version_string());
  std::printf("  \"samplerateVersion\": \"%s\",\n", src_get_version());
  std::printf("  \"settings\": {\"minTime\": %g, \"warmup\": %g, \"minRepeats\": %d, \"maxRepeats\": %d},\n",
              options.minTime, options.warmup, options.minRepeats, options.maxRepeats);
  std::printf("  \"sink\": %llu,\n", static_cast<unsigned long long>(g_sink % 1000));
  std::printf("  \"results\": [\n");
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    std::printf(
        "    {\"id\": \"%s\", \"frames\": %d, \"repeats\": %d, "
        "\"wall\": {\"min\": %.4f, \"median\": %.4f, \"max\": %.4f}, "
        "\"cpu\": {\"min\": %.4f, \"median\": %.4f, \"max\": %.4f}, "
        "\"fingerprint\": \"%s\", \"outputPerPass\": %llu}%s\n",
        r.id.c_str(), r.frames, r.repeats, r.wall.min, r.wall.median, r.wall.max, r.cpu.min,
        r.cpu.median, r.cpu.max, r.fingerprint.c_str(),
        static_cast<unsigned long long>(r.outputPerPass), i + 1 < results.size() ? "," : "");
  }
  std::printf("  ]\n}\n");
}

void Serve(Inputs& inputs) {
  std::map<std::string, std::unique_ptr<Operation>> ops;
  std::printf("{\"ready\": true, \"opusVersion\": \"%s\", \"samplerateVersion\": \"%s\"}\n",
              opus_get_version_string(), src_get_version());
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    const std::vector<std::string> words = Split(line, ' ');
    const std::string& command = words[0];
    const std::string id = words.size() > 1 ? words[1] : "";
    if (command == "quit") break;
    if (command == "setup") {
      auto op = MakeOperation(id, inputs);
      Fnv1a fnv;
      const uint64_t output = op->Pass(&fnv);
      std::printf("{\"id\": \"%s\", \"frames\": %d, \"fingerprint\": \"%s\", \"outputPerPass\": %llu}\n",
                  id.c_str(), op->frames(), fnv.Hex().c_str(), static_cast<unsigned long long>(output));
      ops[id] = std::move(op);
    } else if (command == "run" && words.size() == 4) {
      const auto found = ops.find(id);
      if (found == ops.end()) Fail("run " + id + " before setup " + id);
      Operation& op = *found->second;
      const int from = ParseInt(words[2], id);
      const int to = ParseInt(words[3], id);
      if (from < 0 || to > op.frames() || from > to) Fail("frames out of range in \"" + line + "\"");
      const RunTime t = TimeRun(op, from, to);
      std::printf("{\"id\": \"%s\", \"wallUs\": %.3f, \"cpuUs\": %.3f}\n", id.c_str(), t.wallUs, t.cpuUs);
    } else if (command == "close") {
      ops.erase(id);
      std::printf("{\"closed\": \"%s\"}\n", id.c_str());
    } else {
      Fail("unknown command \"" + line + "\"");
    }
    std::fflush(stdout);
  }
}

void WritePackets(const std::string& path, const Packets& packets) {
  std::ofstream file(path, std::ios::binary);
  if (!file) Fail("cannot write " + path);
  for (const auto& packet : packets) {
    const char length[2] = {static_cast<char>(packet.size() & 0xff), static_cast<char>(packet.size() >> 8)};
    file.write(length, 2);
    file.write(reinterpret_cast<const char*>(packet.data()), static_cast<std::streamsize>(packet.size()));
  }
  if (!file) Fail("cannot write " + path);
}

Options ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Fail(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--input48") options.input48 = value();
    else if (arg == "--input16") options.input16 = value();
    else if (arg == "--input44") options.input44 = value();
    else if (arg == "--packets-out") options.packetsOut = value();
    else if (arg == "--only") options.only = value();
    else if (arg == "--min-time") options.minTime = std::atof(value().c_str());
    else if (arg == "--warmup") options.warmup = std::atof(value().c_str());
    else if (arg == "--min-repeats") options.minRepeats = std::atoi(value().c_str());
    else if (arg == "--max-repeats") options.maxRepeats = std::atoi(value().c_str());
    else if (arg == "--serve") options.serve = true;
    else Fail("unknown argument " + arg + " (see the comment at the top of core_bench.cc)");
  }
  if (options.input48.empty() || options.input16.empty() || options.input44.empty()) {
    Fail("--input48, --input16 and --input44 are required");
  }
  options.minRepeats = std::max(options.minRepeats, 1);
  options.maxRepeats = std::max(options.maxRepeats, options.minRepeats);
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseArgs(argc, argv);
  Inputs inputs;
  inputs.s48 = LoadSpeech(options.input48, 48000);
  inputs.s16 = LoadSpeech(options.input16, 16000);
  inputs.s44 = LoadSpeech(options.input44, 44100);
  if (!options.packetsOut.empty()) WritePackets(options.packetsOut, DecoderInput(inputs));

  if (options.serve) {
    Serve(inputs);
    return 0;
  }
  std::vector<std::string> ids;
  if (options.only.empty()) {
    ids.assign(std::begin(kDefaultOperations), std::end(kDefaultOperations));
  } else {
    ids = Split(options.only, ',');
  }
  std::vector<Result> results;
  for (const std::string& id : ids) results.push_back(Measure(id, inputs, options));
  PrintBatchJson(results, options);
  return 0;
}
