// lines.vs.glsl: thick line segments as screen-aligned quads, one instance
// per segment (GL 3.3 core has no wide lines). Width is in pixels.
layout (location = 0) in vec3 a_p0;
layout (location = 1) in vec3 a_p1;
layout (location = 2) in vec4 a_color;

uniform mat4 u_mvp;          // world → clip of this tile
uniform vec2 u_viewport;     // tile size in pixels
uniform float u_width;       // pixels
uniform float u_depth_bias;  // NDC z pulled towards the eye

out vec4 v_color;

void main ()
{
  vec4 c0 = u_mvp * vec4 (a_p0, 1.0);
  vec4 c1 = u_mvp * vec4 (a_p1, 1.0);
  int end = gl_VertexID >> 1;           // 0,0,1,1
  float side = (gl_VertexID & 1) == 0 ? -1.0 : 1.0;
  vec2 s0 = c0.xy / c0.w * u_viewport * 0.5;
  vec2 s1 = c1.xy / c1.w * u_viewport * 0.5;
  vec2 dir = s1 - s0;
  float len = length (dir);
  dir = len > 1e-6 ? dir / len : vec2 (1.0, 0.0);
  vec2 normal = vec2 (-dir.y, dir.x);
  vec4 c = end == 0 ? c0 : c1;
  // Extend each end by half the width so corners close.
  vec2 offset_px = normal * side * 0.5 * u_width + dir * (end == 0 ? -0.5 : 0.5) * u_width;
  c.xy += offset_px / (u_viewport * 0.5) * c.w;
  c.z -= u_depth_bias * c.w;
  gl_Position = c;
  v_color = a_color;
}
