// preamble.glsl: shared by every Porescope shader (after the #version line
// and the #defines that PsGlProgram inserts).
precision highp float;
precision highp int;

#define PHASE_NONE 0u
#define PHASE_CARBON 1u
#define PHASE_PORE 2u
#define PHASE_HIGHLIGHT 3u

// Pixel (full image, origin bottom-left) → normalised device coordinates.
vec2 ps_pixel_to_ndc (vec2 pixel, vec2 full_size)
{
  return pixel / full_size * 2.0 - 1.0;
}
