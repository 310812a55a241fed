#pragma once
// msgpack-cxx without Boost (header-only, Debian's libmsgpack-cxx-dev).

#ifndef MSGPACK_NO_BOOST
#define MSGPACK_NO_BOOST
#endif
#include <msgpack.hpp>
