// raycast.fs.glsl: single-pass GPU ray casting of the volume (Krüger &
// Westermann, IEEE Visualization 2003), one fragment per pixel.
//
// Defines: MODE (MODE_DVR, MODE_MIP, MODE_ISO, MODE_LABELS), HAVE_LABELS (0/1).
//
// Frames: world = nm with the origin at the volume's centre; texture space
// t = world / extent + 0.5 covers the volume box as [0, 1]^3. The ray
// parameter s is a distance in nm, so the sampling step and the opacity
// unit are physical and the same for anisotropic voxels.
//
// Speed (Krüger & Westermann's two techniques, in forms that suit both GPUs
// and CPU rasterisers such as llvmpipe, where divergent per-sample tests
// cost more than they save):
//  - empty-space skipping by proxy geometry: the faces of the bricks (8^3
//    voxels) that can contribute are rasterised into an entry and an exit
//    depth (PsGlRenderer), so each ray marches only between the first and
//    the last occupied brick it meets;
//  - inside that range, the surface modes (iso, labels) also jump over bricks
//    that cannot hold their next event (min/max intensity, phase occupancy);
//  - early ray termination at 99 % opacity.
// Jumps land on the same sample lattice (anchored at the clip-box entry), so
// skipping never changes the picture.

#define MODE_DVR 0
#define MODE_MIP 1
#define MODE_ISO 2
#define MODE_LABELS 3

uniform sampler3D u_volume;      // intensity normalised to [0, 1] over the data range
#if HAVE_LABELS
uniform usampler3D u_labels;     // (object id << 2) | phase; GL_NEAREST
#endif
uniform usampler3D u_bricks;     // min, max (×65535), occupancy bits

uniform mat4 u_inv_view_proj;    // full-image NDC → world
uniform mat4 u_view_proj;        // world → full-image clip
uniform vec2 u_full_size;        // pixels of the whole image
uniform vec2 u_tile_offset;      // this tile's lower-left pixel in the whole image
uniform vec3 u_extent;           // volume box size, nm
uniform vec3 u_dims;             // texture size, voxels
uniform vec3 u_brick_scale;      // bricks per unit of texture coordinate
uniform ivec3 u_brick_count;
uniform vec3 u_clip_lo;          // texture-space box the rays are limited to
uniform vec3 u_clip_hi;
uniform float u_step;            // sample spacing along the ray, nm
uniform float u_unit;            // opacity unit distance, nm (one voxel)
uniform vec2 u_window;           // normalised intensity mapped to black and white
uniform float u_threshold;       // normalised isosurface / carbon threshold
uniform int u_threshold_carbon;  // unlabelled voxels ≥ threshold count as carbon
uniform vec4 u_carbon;           // colour, opacity
uniform vec4 u_pore;
uniform vec4 u_highlight_color;
uniform uint u_highlight;        // object id, with its phase (0: none)
uniform uint u_highlight_phase;
uniform vec3 u_dvr_dark;         // transfer function colour at the window's low end
uniform vec3 u_dvr_light;        // … and at its high end
uniform float u_dvr_opacity;     // opacity per unit distance at the high end
uniform int u_slices;            // draw the three orthoslices
uniform vec3 u_slice_pos;        // crosshair, texture space
uniform vec4 u_background;
uniform vec3 u_light_dir;        // towards the light (world): from the viewer, upper left
uniform int u_use_proxy;         // ray bounds from the occupied-brick faces
uniform sampler2D u_entry_depth; // nearest face depth (1: no occupied brick on this ray)
uniform sampler2D u_exit_depth;  // farthest face depth

out vec4 frag_color;

float
windowed (float v)
{
  return clamp ((v - u_window.x) / max (u_window.y - u_window.x, 1e-6), 0.0, 1.0);
}

vec3
world_of (vec3 t)
{
  return (t - 0.5) * u_extent;
}

float
depth_of (vec3 t)
{
  vec4 c = u_view_proj * vec4 (world_of (t), 1.0);
  return clamp (c.z / c.w * 0.5 + 0.5, 0.0, 1.0);
}

ivec3
brick_of (vec3 p)
{
  return clamp (ivec3 (p * u_brick_scale), ivec3 (0), u_brick_count - 1);
}

// Ray parameter where the ray leaves brick b.
float
brick_exit (vec3 o, vec3 d, ivec3 b)
{
  vec3 lo = vec3 (b) / u_brick_scale;
  vec3 hi = vec3 (b + 1) / u_brick_scale;
  vec3 t = (mix (lo, hi, step (0.0, d)) - o) / d;
  return min (min (t.x, t.y), t.z);
}

// Phase of a voxel code (and intensity) as the renderer sees it: invisible
// phases become NONE, the highlighted object becomes HIGHLIGHT.
uint
effective_phase (uint code, float v)
{
  uint ph = code & 3u;
  if (ph == PHASE_NONE && u_threshold_carbon != 0 && v >= u_threshold)
    ph = PHASE_CARBON;
  if (u_highlight_phase != 0u && ph == u_highlight_phase && (code >> 2) == u_highlight)
    return PHASE_HIGHLIGHT;
  if (ph == PHASE_CARBON && u_carbon.a <= 0.0)
    return PHASE_NONE;
  if (ph == PHASE_PORE && u_pore.a <= 0.0)
    return PHASE_NONE;
  return ph;
}

uint
code_at (vec3 p)
{
#if HAVE_LABELS
  return texture (u_labels, p).r;
#else
  return 0u;
#endif
}

uint
phase_at (vec3 p)
{
  float v = u_threshold_carbon != 0 ? texture (u_volume, p).r : 0.0;
  return effective_phase (code_at (p), v);
}

// Set of effective phases (bit 1 << phase) a brick may contain.
uint
brick_phases (uvec4 br)
{
  uint occ = br.b;
  float bmin = float (br.r) / 65535.0;
  float bmax = float (br.g) / 65535.0;
  uint carbon_bits = (u_carbon.a > 0.0 ? 2u : 1u) | (u_highlight_phase == PHASE_CARBON ? 8u : 0u);
  uint s = 0u;
  if ((occ & 1u) != 0u)
    {
      if (u_threshold_carbon == 0 || bmin < u_threshold)
        s |= 1u;
      if (u_threshold_carbon != 0 && bmax >= u_threshold)
        s |= carbon_bits;
    }
  if ((occ & 2u) != 0u)
    s |= carbon_bits;
  if ((occ & 4u) != 0u)
    s |= (u_pore.a > 0.0 ? 4u : 1u) | (u_highlight_phase == PHASE_PORE ? 8u : 0u);
  return s;
}

#if MODE == MODE_LABELS
// The phase indicator of one voxel (1 inside phase ph).
float
voxel_is (ivec3 v, uint ph)
{
#if HAVE_LABELS
  uint code = texelFetch (u_labels, v, 0).r;
#else
  uint code = 0u;
#endif
  float val = u_threshold_carbon != 0 ? texelFetch (u_volume, v, 0).r : 0.0;
  return effective_phase (code, val) == ph ? 1.0 : 0.0;
}

// Trilinear interpolation of the binary indicator: a smooth field whose 0.5
// level is the phase boundary, so surfaces get smooth positions and normals
// instead of voxel stairs (labels themselves are never interpolated).
float
indicator (vec3 p, uint ph)
{
  vec3 g = p * u_dims - 0.5;
  vec3 f = fract (g);
  ivec3 i0 = ivec3 (floor (g));
  ivec3 top = ivec3 (u_dims) - 1;
  float acc = 0.0;
  for (int k = 0; k < 8; k++)
    {
      ivec3 o = ivec3 (k & 1, (k >> 1) & 1, k >> 2);
      vec3 w = mix (1.0 - f, f, vec3 (o));
      acc += w.x * w.y * w.z * voxel_is (clamp (i0 + o, ivec3 (0), top), ph);
    }
  return acc;
}

vec3
indicator_gradient (vec3 p, uint ph)
{
  // A wide stencil (1.5 voxels) smooths the terraces of a voxelised surface.
  vec3 h = 1.5 / u_dims;
  vec3 g = vec3 (indicator (p + vec3 (h.x, 0, 0), ph) - indicator (p - vec3 (h.x, 0, 0), ph),
                 indicator (p + vec3 (0, h.y, 0), ph) - indicator (p - vec3 (0, h.y, 0), ph),
                 indicator (p + vec3 (0, 0, h.z), ph) - indicator (p - vec3 (0, 0, h.z), ph));
  return g / (2.0 * h) / u_extent;   // per nm
}
#endif

#if MODE == MODE_ISO || MODE == MODE_LABELS
vec3
intensity_gradient (vec3 p)
{
  vec3 h = 1.0 / u_dims;
  vec3 g = vec3 (texture (u_volume, p + vec3 (h.x, 0, 0)).r - texture (u_volume, p - vec3 (h.x, 0, 0)).r,
                 texture (u_volume, p + vec3 (0, h.y, 0)).r - texture (u_volume, p - vec3 (0, h.y, 0)).r,
                 texture (u_volume, p + vec3 (0, 0, h.z)).r - texture (u_volume, p - vec3 (0, 0, h.z)).r);
  return g / (2.0 * h) / u_extent;
}
#endif

// Blinn–Phong with a headlight; two-sided (normals of a binary field may face
// away near edges).
vec3
shade (vec3 color, vec3 normal, vec3 view_dir)
{
  vec3 n = dot (normal, view_dir) > 0.0 ? -normal : normal;
  float diffuse = max (dot (n, u_light_dir), 0.0);
  float spec = pow (max (dot (n, normalize (u_light_dir - view_dir)), 0.0), 50.0);
  return color * (0.3 + 0.7 * diffuse) + vec3 (0.15 * spec);
}

float
ray_param_of_depth (vec2 ndc, float depth, vec3 wa, vec3 view_dir)
{
  vec4 w = u_inv_view_proj * vec4 (ndc, depth * 2.0 - 1.0, 1.0);
  return dot (w.xyz / w.w - wa, view_dir);
}

void
main ()
{
  vec2 ndc = ps_pixel_to_ndc (gl_FragCoord.xy + u_tile_offset, u_full_size);
  vec4 a = u_inv_view_proj * vec4 (ndc, -1.0, 1.0);
  vec4 b = u_inv_view_proj * vec4 (ndc, 1.0, 1.0);
  vec3 wa = a.xyz / a.w;
  vec3 view_dir = normalize (b.xyz / b.w - wa);

  // Texture-space ray, parameter in nm.
  vec3 o = wa / u_extent + 0.5;
  vec3 d = view_dir / u_extent;
  d = mix (d, vec3 (1e-20), lessThan (abs (d), vec3 (1e-20)));

  vec3 t0 = (u_clip_lo - o) / d;
  vec3 t1 = (u_clip_hi - o) / d;
  vec3 tn = min (t0, t1), tf = max (t0, t1);
  float s_near = max (max (tn.x, tn.y), max (tn.z, 0.0));
  float s_far = min (min (tf.x, tf.y), tf.z);

  // The orthoslices: the nearest of the three planes through the crosshair,
  // within the clip box; rays stop there and the slice shows behind.
  float s_slice = 1e30;
  vec3 slice_p = vec3 (0.0);
  if (u_slices != 0 && s_near < s_far)
    {
      for (int axis = 0; axis < 3; axis++)
        {
          float s = (u_slice_pos[axis] - o[axis]) / d[axis];
          vec3 q = o + d * s;
          vec3 eps = vec3 (1e-5);
          if (s >= s_near && s < s_slice && all (greaterThanEqual (q, u_clip_lo - eps))
              && all (lessThanEqual (q, u_clip_hi + eps)))
            {
              s_slice = s;
              slice_p = q;
            }
        }
      s_far = min (s_far, s_slice);
    }

  vec4 acc = vec4 (0.0);        // premultiplied, front to back
  float depth = 1.0;
  float s0 = s_near + 0.5 * u_step;
  int n_steps = s_far > s0 ? min (int (ceil ((s_far - s0) / u_step)), 65536) : 0;
  int k = 0;
  if (u_use_proxy != 0 && n_steps > 0)
    {
      ivec2 px = ivec2 (gl_FragCoord.xy);
      float de = texelFetch (u_entry_depth, px, 0).r;
      float dx = texelFetch (u_exit_depth, px, 0).r;
      if (de >= 1.0 || dx <= 0.0)
        n_steps = 0;
      else
        {
          // One step of slack on both ends against depth rounding.
          float se = ray_param_of_depth (ndc, de, wa, view_dir);
          float sx = ray_param_of_depth (ndc, dx, wa, view_dir);
          k = max (0, int (floor ((se - s0) / u_step)) - 1);
          n_steps = min (n_steps, max (0, int (ceil ((sx - s0) / u_step)) + 2));
        }
    }
  bool at_clip = k == 0;        // the first sample is at the clip box's face
  ivec3 cur_brick = ivec3 (-1);
  bool skip = false;

#if MODE == MODE_MIP
  float vmax = u_window.x;
  float s_max = -1.0;
#elif MODE == MODE_ISO
  bool inside = false;
#elif MODE == MODE_LABELS
  uint prev = PHASE_NONE;
  uint ph = PHASE_NONE;
#endif

  while (k < n_steps)
    {
      bool event = false;
      // March to the next event (surface modes) or the end (dvr, mip).
      for (; k < n_steps;)
        {
          float s = s0 + float (k) * u_step;
          vec3 p = o + d * s;
#if MODE == MODE_ISO || MODE == MODE_LABELS
          ivec3 bk = brick_of (p);
          if (bk != cur_brick)
            {
              uvec4 br = texelFetch (u_bricks, bk, 0);
              cur_brick = bk;
#if MODE == MODE_ISO
              skip = inside ? float (br.r) / 65535.0 >= u_threshold : float (br.g) / 65535.0 < u_threshold;
#else
              skip = brick_phases (br) == (1u << prev);
#endif
            }
          if (skip)
            {
              k = max (k + 1, int (ceil ((brick_exit (o, d, bk) - s0) / u_step)));
              cur_brick = ivec3 (-1);
              continue;
            }
#endif

#if MODE == MODE_DVR
          float v = texture (u_volume, p).r;
          float w = windowed (v);
          vec3 c = mix (u_dvr_dark, u_dvr_light, w);
          float alpha = u_dvr_opacity * w;
#if HAVE_LABELS
          uint dph = effective_phase (code_at (p), v);
          if (dph == PHASE_PORE)
            {
              c = u_pore.rgb;
              alpha = max (alpha, 0.3 * u_pore.a);
            }
          else if (dph == PHASE_HIGHLIGHT)
            {
              c = u_highlight_color.rgb;
              alpha = max (alpha, 0.6 * u_highlight_color.a);
            }
#endif
          if (alpha > 0.0)
            {
              // Opacity correction for the step length (alpha is per unit distance).
              float a_step = 1.0 - pow (1.0 - min (alpha, 0.999), u_step / u_unit);
              acc += (1.0 - acc.a) * vec4 (c * a_step, a_step);
              if (depth == 1.0 && acc.a >= 0.5)
                depth = depth_of (p);
              if (acc.a >= 0.99)
                {
                  k = n_steps;
                  break;
                }
            }
#elif MODE == MODE_MIP
          float v = texture (u_volume, p).r;
          if (v > vmax)
            {
              vmax = v;
              s_max = s;
              if (vmax >= u_window.y)
                {
                  k = n_steps;   // saturated: nothing further can be brighter on screen
                  break;
                }
            }
#elif MODE == MODE_ISO
          bool now_inside = texture (u_volume, p).r >= u_threshold;
          if (now_inside && !inside)
            {
              event = true;
              break;
            }
          inside = now_inside;
#else // MODE_LABELS
          ph = phase_at (p);
          if (ph != prev)
            {
              if (ph != PHASE_NONE)
                {
                  event = true;
                  break;
                }
              prev = ph;
            }
#endif
          k++;
        }
      if (!event)
        break;
#if MODE == MODE_ISO || MODE == MODE_LABELS
      // A surface at sample k: refine, shade and composite it (once per
      // event, outside the marching loop, to keep that loop light).
      float s = s0 + float (k) * u_step;
      float sa = max (s - u_step, s_near), sb = s;
#if MODE == MODE_ISO
      // Bisection on the interpolated intensity.
      for (int i = 0; i < 6; i++)
        {
          float m = 0.5 * (sa + sb);
          if (texture (u_volume, o + d * m).r >= u_threshold)
            sb = m;
          else
            sa = m;
        }
      vec3 hp = o + d * sb;
      vec3 g = intensity_gradient (hp);
      // A ray that starts inside (a clip face through carbon) sees a cap.
      vec3 n = ((at_clip && k == 0) || length (g) < 1e-6) ? -view_dir : -normalize (g);
      vec4 col = u_carbon;
#if HAVE_LABELS
      uint hc = code_at (hp);
      if (u_highlight_phase == PHASE_CARBON && (hc & 3u) == PHASE_CARBON && (hc >> 2) == u_highlight)
        col = vec4 (u_highlight_color.rgb, 1.0);
#endif
      inside = true;
#else
      // Carbon defined by the threshold is the intensity's isosurface:
      // refine and shade it on the interpolated intensity (smooth). Labelled
      // phases use the smoothed phase indicator.
      bool by_threshold = ph == PHASE_CARBON && u_threshold_carbon != 0 && (code_at (o + d * s) & 3u) == 0u;
      vec3 g;
      vec3 hp;
      if (by_threshold)
        {
          for (int i = 0; i < 6; i++)
            {
              float m = 0.5 * (sa + sb);
              if (texture (u_volume, o + d * m).r >= u_threshold)
                sb = m;
              else
                sa = m;
            }
          hp = o + d * sb;
          g = intensity_gradient (hp);
        }
      else
        {
          for (int i = 0; i < 5; i++)
            {
              float m = 0.5 * (sa + sb);
              if (indicator (o + d * m, ph) >= 0.5)
                sb = m;
              else
                sa = m;
            }
          hp = o + d * sb;
          g = indicator_gradient (hp, ph);
        }
      bool cap = at_clip && k == 0;
      vec3 n = (cap || length (g) * u_unit < (by_threshold ? 1e-6 : 0.05)) ? -view_dir : -normalize (g);
      vec4 col = ph == PHASE_CARBON ? u_carbon : ph == PHASE_PORE ? u_pore : u_highlight_color;
      prev = ph;
#endif
      float alpha = clamp (col.a, 0.0, 1.0);
      if (alpha > 0.0)
        {
          acc += (1.0 - acc.a) * vec4 (shade (col.rgb, n, view_dir) * alpha, alpha);
          if (depth == 1.0)
            depth = depth_of (hp);
        }
      k++;
      if (acc.a >= 0.99)
        break;
#endif
    }

#if MODE == MODE_MIP
  if (s_max >= 0.0)
    {
      float w = windowed (vmax);
      acc = vec4 (vec3 (w), w);
      depth = depth_of (o + d * s_max);
    }
#endif

  // The orthoslice behind everything sampled so far.
  if (s_slice < 1e29 && acc.a < 0.999)
    {
      float v = texture (u_volume, slice_p).r;
      vec3 c = vec3 (windowed (v));
#if HAVE_LABELS
      uint sph = effective_phase (code_at (slice_p), v);
      if (sph == PHASE_PORE)
        c = mix (c, u_pore.rgb, 0.55);
      else if (sph == PHASE_CARBON)
        c = mix (c, u_carbon.rgb, 0.35);
      else if (sph == PHASE_HIGHLIGHT)
        c = mix (c, u_highlight_color.rgb, 0.6);
#endif
      acc += (1.0 - acc.a) * vec4 (c, 1.0);
      if (depth == 1.0)
        depth = depth_of (slice_p);
    }

  frag_color = vec4 (acc.rgb + (1.0 - acc.a) * u_background.rgb, 1.0);
  gl_FragDepth = depth;
}
