// Runs a DSP measurement (echo harness, DSP bench) off the JS thread and settles a Promise with
// its result: these take up to a few seconds of CPU and the event loop must keep running.
#pragma once

#include <napi.h>

#include <functional>
#include <string>
#include <utility>

namespace doorway::audio {

template <typename Result>
class MeasureWorker : public Napi::AsyncWorker {
 public:
  using Compute = std::function<bool(Result*, std::string*)>;
  using Convert = std::function<Napi::Value(Napi::Env, const Result&)>;

  // Returns the Promise; the worker deletes itself when done.
  static Napi::Promise Start(Napi::Env env, Compute compute, Convert convert) {
    auto* worker = new MeasureWorker(env, std::move(compute), std::move(convert));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    std::string error;
    if (!compute_(&result_, &error)) SetError(error);
  }
  void OnOK() override { deferred_.Resolve(convert_(Env(), result_)); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  MeasureWorker(Napi::Env env, Compute compute, Convert convert)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        compute_(std::move(compute)),
        convert_(std::move(convert)) {}

  Napi::Promise::Deferred deferred_;
  Compute compute_;
  Convert convert_;
  Result result_{};
};

}  // namespace doorway::audio
