#include "args.h"

#include <cmath>
#include <cstdio>

namespace voxrtc {

namespace {

const char* TypedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "an Int8Array";
    case napi_uint8_array: return "a Uint8Array";
    case napi_uint8_clamped_array: return "a Uint8ClampedArray";
    case napi_int16_array: return "an Int16Array";
    case napi_uint16_array: return "a Uint16Array";
    case napi_int32_array: return "an Int32Array";
    case napi_uint32_array: return "a Uint32Array";
    case napi_float32_array: return "a Float32Array";
    case napi_float64_array: return "a Float64Array";
    case napi_bigint64_array: return "a BigInt64Array";
    case napi_biguint64_array: return "a BigUint64Array";
    default: return "a typed array";
  }
}

std::string Prefix(const char* where, const char* name) {
  return std::string(where) + ": " + name + " ";
}

}  // namespace

std::string Describe(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return value.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: {
      const double d = value.As<Napi::Number>().DoubleValue();
      if (std::isnan(d)) return "NaN";
      return value.ToString().Utf8Value();  // JavaScript's own formatting: 1e-7, Infinity
    }
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    case napi_object:
      if (value.IsTypedArray()) return TypedArrayName(value.As<Napi::TypedArray>().TypedArrayType());
      if (value.IsArrayBuffer()) return "an ArrayBuffer";
      if (value.IsArray()) return "an Array";
      if (value.IsDataView()) return "a DataView";
      return "an object";
    default: return "an unknown value";
  }
}

void ThrowType(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  throw error;
}

void ThrowRange(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::RangeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  throw error;
}

SampleView GetSamples(const Napi::CallbackInfo& info, size_t index, const char* where,
                      const char* name) {
  Napi::Value value = info[index];
  if (value.IsTypedArray()) {
    auto array = value.As<Napi::TypedArray>();
    const napi_typedarray_type type = array.TypedArrayType();
    if (type == napi_int16_array || type == napi_float32_array) {
      napi_typedarray_type t;
      size_t length;
      void* data;
      napi_value buffer;
      size_t offset;
      napi_get_typedarray_info(info.Env(), value, &t, &length, &data, &buffer, &offset);
      return SampleView{type, data, length};
    }
  }
  ThrowType(info.Env(), Prefix(where, name) + "must be an Int16Array or a Float32Array; got " +
                            Describe(value));
}

SampleView GetTyped(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type,
                    const char* where, const char* name) {
  Napi::Value value = info[index];
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == type) {
    napi_typedarray_type t;
    size_t length;
    void* data;
    napi_value buffer;
    size_t offset;
    napi_get_typedarray_info(info.Env(), value, &t, &length, &data, &buffer, &offset);
    return SampleView{type, data, length};
  }
  std::string expected = TypedArrayName(type);
  ThrowType(info.Env(), Prefix(where, name) + "must be " + expected + "; got " + Describe(value));
}

ByteView GetBytes(const Napi::CallbackInfo& info, size_t index, const char* where,
                  const char* name) {
  SampleView view = GetTyped(info, index, napi_uint8_array, where, name);
  return ByteView{static_cast<const uint8_t*>(view.data), view.length};
}

int GetInt(const Napi::CallbackInfo& info, size_t index, int min, int max, const char* where,
           const char* name) {
  Napi::Value value = info[index];
  if (!value.IsNumber()) {
    ThrowType(info.Env(), Prefix(where, name) + "must be an integer; got " + Describe(value));
  }
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < min || d > max) {
    ThrowRange(info.Env(), Prefix(where, name) + "must be an integer from " + std::to_string(min) +
                               " to " + std::to_string(max) + "; got " + Describe(value));
  }
  return static_cast<int>(d);
}

uint32_t GetUint32(const Napi::CallbackInfo& info, size_t index, const char* where,
                   const char* name) {
  Napi::Value value = info[index];
  if (!value.IsNumber()) {
    ThrowType(info.Env(), Prefix(where, name) + "must be an integer; got " + Describe(value));
  }
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > 4294967295.0) {
    ThrowRange(info.Env(), Prefix(where, name) + "must be an integer from 0 to 4294967295; got " +
                               Describe(value));
  }
  return static_cast<uint32_t>(d);
}

bool GetBool(const Napi::CallbackInfo& info, size_t index, const char* where, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsBoolean()) {
    ThrowType(info.Env(), Prefix(where, name) + "must be a boolean; got " + Describe(value));
  }
  return value.As<Napi::Boolean>().Value();
}

void ThrowClosed(Napi::Env env, const char* where, const char* what) {
  Napi::Error error = Napi::TypeError::New(
      env, std::string(where) + ": the " + what + " is closed; create a new one");
  error.Set("code", Napi::String::New(env, "ERR_VOXRTC_CLOSED"));
  throw error;
}

}  // namespace voxrtc
