#pragma once
// A small `expected` for routine failures (C++20 has no std::expected).
// Deliberately no operator bool: `if (result)` on an Expected<bool> reads wrong.

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.hpp"

namespace taxsync {

template <class E>
class Unexpected {
public:
    explicit Unexpected(E error) : error_(std::move(error)) {}
    E& error() & { return error_; }
    E&& error() && { return std::move(error_); }

private:
    E error_;
};

template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
    return Unexpected<std::decay_t<E>>(std::forward<E>(error));
}

inline Unexpected<Error> fail(ErrorKind kind, std::string message) {
    return Unexpected<Error>(Error{kind, std::move(message)});
}

template <class T, class E = Error>
class [[nodiscard]] Expected {
public:
    Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
    template <class G>
    Expected(Unexpected<G> error)  // NOLINT(google-explicit-constructor)
        : state_(std::in_place_index<1>, E(std::move(error).error())) {}

    [[nodiscard]] bool has_value() const { return state_.index() == 0; }
    [[nodiscard]] bool has_error() const { return state_.index() == 1; }

    T& value() & {
        assert(has_value());
        return std::get<0>(state_);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(state_);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(state_));
    }
    const E& error() const& {
        assert(has_error());
        return std::get<1>(state_);
    }
    E&& error() && {
        assert(has_error());
        return std::get<1>(std::move(state_));
    }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Expected<void, E> {
public:
    Expected() = default;
    template <class G>
    Expected(Unexpected<G> error) : error_(E(std::move(error).error())) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const { return !error_.has_value(); }
    [[nodiscard]] bool has_error() const { return error_.has_value(); }
    const E& error() const& {
        assert(has_error());
        return *error_;
    }
    E&& error() && {
        assert(has_error());
        return std::move(*error_);
    }

private:
    std::optional<E> error_;
};

using Status = Expected<void>;

inline Status ok() { return {}; }

}  // namespace taxsync
