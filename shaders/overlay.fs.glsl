// overlay.fs.glsl: premultiplied text texture or a solid colour.
uniform sampler2D u_texture;
uniform int u_use_texture;
uniform vec4 u_color;        // premultiplied

in vec2 v_uv;
out vec4 frag_color;

void main ()
{
  frag_color = u_use_texture != 0 ? texture (u_texture, v_uv) : u_color;
}
