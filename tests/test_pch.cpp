// The translation unit that builds the tests' precompiled header (tests/CMakeLists.txt); it
// holds no code of its own.
