#pragma once

namespace ttl {

// One definition: the unity build compiles several sources as one, where two file-local copies collide.
inline constexpr double kPi = 3.14159265358979323846;

}  // namespace ttl
