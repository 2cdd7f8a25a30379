// proxy.vs.glsl: faces of the occupied bricks (empty-space skipping by proxy
// geometry). Positions are in texture space [0, 1]^3.
layout (location = 0) in vec3 a_pos;

uniform mat4 u_mvp;      // texture space → this tile's clip space

void main ()
{
  gl_Position = u_mvp * vec4 (a_pos, 1.0);
}
