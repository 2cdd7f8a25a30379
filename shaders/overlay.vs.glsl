// overlay.vs.glsl: a rectangle given in full-image pixels (origin bottom-left).
uniform vec4 u_rect;         // x, y, width, height in pixels
uniform mat4 u_tile;         // full-image NDC → this tile's NDC
uniform vec2 u_full_size;

out vec2 v_uv;

void main ()
{
  vec2 corner = vec2 (float (gl_VertexID & 1), float (gl_VertexID >> 1));
  vec2 pixel = u_rect.xy + corner * u_rect.zw;
  gl_Position = u_tile * vec4 (ps_pixel_to_ndc (pixel, u_full_size), 0.0, 1.0);
  v_uv = vec2 (corner.x, 1.0 - corner.y);   // textures are stored top row first
}
