#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""3D view benchmark: Porescope's ray caster (bench-3d) side by side with
VTK's vtkGPUVolumeRayCastMapper (Debian python3-vtk9) on the same 512^3
phantom with pore labels, the same transfer function and the same camera.

Run under one X server so both use the same GL driver, e.g. on llvmpipe:

    LIBGL_ALWAYS_SOFTWARE=1 xvfb-run -a -s "-screen 0 1920x1080x24" \
        /usr/bin/python3 bench/bench-3d.py --bench build/bench/bench-3d

On a machine with a GPU drop LIBGL_ALWAYS_SOFTWARE (and use the real
display or EGL/Xvfb+GPU as available). Protocol: the phantom and the camera
poses are written once (bench-3d --write-volume); then, per round, Porescope
renders every mode and size (one warm-up + K timed orbit frames, wall time
with glFinish) and VTK renders the same (one warm-up + K frames, wall time
of Render() plus a 1-pixel read-back to wait for the GPU). Two rounds,
alternating, the better median of each renderer is reported. The gate before
timing: the foreground masks (pixels that are not background) of both
renderers' warm-up images must agree (IoU >= 0.9) for DVR, MIP and iso.

Mode mapping: dvr -> composite blend with the same colour/opacity ramps and
opacity unit distance (1 voxel), sample distance 0.5 voxel, no shading; mip ->
maximum-intensity blend; iso -> VTK's isosurface blend (shaded) at the same
threshold; labels (our phase surfaces from the pore labels) has no VTK
counterpart and is compared with VTK's isosurface, the nearest workload.
VTK gets the intensity volume only (no label fetch), Porescope has the pore
labels bound in every mode, so the comparison is conservative for Porescope.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def run_ours(bench, args, out_dir):
    cmd = [bench, "--n", str(args.n), "--sizes", args.sizes, "--frames", str(args.frames), "--dir", out_dir,
           "--modes", args.modes]
    if args.interactive:
        cmd.append("--interactive")
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit("bench-3d failed: " + res.stderr)
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    return rows


def vtk_setup(volume, n, w, h):
    import vtk
    from vtk.util import numpy_support

    img = vtk.vtkImageData()
    img.SetDimensions(n, n, n)
    img.SetSpacing(1.0, 1.0, 1.0)
    img.SetOrigin(0.5 - n / 2.0, 0.5 - n / 2.0, 0.5 - n / 2.0)
    arr = numpy_support.numpy_to_vtk(volume.ravel(), deep=False, array_type=vtk.VTK_UNSIGNED_CHAR)
    img.GetPointData().SetScalars(arr)

    mapper = vtk.vtkGPUVolumeRayCastMapper()
    mapper.SetInputData(img)
    mapper.SetAutoAdjustSampleDistances(0)
    mapper.SetSampleDistance(0.5)
    prop = vtk.vtkVolumeProperty()
    prop.SetInterpolationTypeToLinear()
    prop.SetScalarOpacityUnitDistance(1.0)
    volume_actor = vtk.vtkVolume()
    volume_actor.SetMapper(mapper)
    volume_actor.SetProperty(prop)
    ren = vtk.vtkRenderer()
    ren.SetBackground(0x1b / 255.0, 0x1d / 255.0, 0x22 / 255.0)
    ren.AddVolume(volume_actor)
    win = vtk.vtkRenderWindow()
    win.SetOffScreenRendering(1)
    win.SetSize(w, h)
    win.AddRenderer(ren)
    return {"vtk": vtk, "pixel": vtk.vtkUnsignedCharArray(), "img": img, "arr": arr, "mapper": mapper, "prop": prop, "ren": ren, "win": win}


def vtk_mode(ctx, mode, params):
    vtk = ctx["vtk"]
    mapper, prop = ctx["mapper"], ctx["prop"]
    carbon = (0x2F / 255.0, 0x6F / 255.0, 0xDB / 255.0)
    dark = [0.25 * c for c in carbon]
    light = [0.6 * c + 0.4 for c in carbon]
    lo, hi = params["window"]
    color = vtk.vtkColorTransferFunction()
    opacity = vtk.vtkPiecewiseFunction()
    if mode == "dvr":
        mapper.SetBlendModeToComposite()
        color.AddRGBPoint(lo, *dark)
        color.AddRGBPoint(hi, *light)
        opacity.AddPoint(lo, 0.0)
        opacity.AddPoint(hi, params["dvr_opacity"])
        prop.ShadeOff()
    elif mode == "mip":
        mapper.SetBlendModeToMaximumIntensity()
        color.AddRGBPoint(lo, 0, 0, 0)
        color.AddRGBPoint(hi, 1, 1, 1)
        opacity.AddPoint(lo, 1.0)
        opacity.AddPoint(hi, 1.0)
        prop.ShadeOff()
    else:  # iso, and labels' nearest counterpart
        mapper.SetBlendModeToIsoSurface()
        prop.GetIsoSurfaceValues().SetValue(0, params["threshold"])
        color.AddRGBPoint(lo, *carbon)
        color.AddRGBPoint(hi, *carbon)
        opacity.AddPoint(lo, 1.0)
        opacity.AddPoint(hi, 1.0)
        prop.ShadeOn()
    prop.SetColor(color)
    prop.SetScalarOpacity(opacity)


def vtk_pose(ctx, pose):
    cam = ctx["ren"].GetActiveCamera()
    cam.ParallelProjectionOn()
    cam.SetFocalPoint(*pose["target"])
    cam.SetPosition(*pose["eye"])
    cam.SetViewUp(*pose["up"])
    cam.SetParallelScale(pose["parallel_scale"])
    ctx["ren"].ResetCameraClippingRange()


def vtk_frame(ctx):
    t = time.perf_counter()
    ctx["win"].Render()
    ctx["win"].GetPixelData(0, 0, 0, 0, 1, ctx["pixel"], 0)  # waits for the frame
    return (time.perf_counter() - t) * 1000.0


def vtk_image(ctx, w, h):
    ctx["win"].Render()
    from vtk.util import numpy_support

    data = ctx["vtk"].vtkUnsignedCharArray()
    ctx["win"].GetRGBACharPixelData(0, 0, w - 1, h - 1, 1, data)

    a = numpy_support.vtk_to_numpy(data).reshape(h, w, 4)
    return a[::-1]  # top row first


def run_vtk(volume, params, args, out_dir):
    rows = []
    n = params["n"]
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        ctx = vtk_setup(volume, n, w, h)
        poses = params["poses"][size]
        for mode in args.modes.split(","):
            vtk_mode(ctx, mode, params)
            vtk_pose(ctx, poses[0])
            img = vtk_image(ctx, w, h)  # warm-up and gate image
            np.save(os.path.join(out_dir, f"vtk-{mode}-{size}.npy"), img)
            times = []
            for pose in poses[1 : args.frames + 1]:
                vtk_pose(ctx, pose)
                times.append(vtk_frame(ctx))
            med = statistics.median(times)
            rows.append({"renderer": "vtk", "quality": "full", "mode": mode, "size": size, "frame_ms": times,
                         "median_ms": med, "fps": 1000.0 / med})
        ctx["win"].Finalize()
    return rows


def foreground(img):
    bg = np.array([0x1B, 0x1D, 0x22])
    return np.abs(img[..., :3].astype(int) - bg).max(axis=2) > 6


def gate(out_dir, args):
    ok = True
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        for mode in [m for m in args.modes.split(",") if m != "labels"]:
            ours = np.fromfile(os.path.join(out_dir, f"ours-{mode}-{size}.rgba"), np.uint8).reshape(h, w, 4)
            theirs = np.load(os.path.join(out_dir, f"vtk-{mode}-{size}.npy"))
            a, b = foreground(ours), foreground(theirs)
            iou = (a & b).sum() / max(1, (a | b).sum())
            print(json.dumps({"gate": mode, "size": size, "foreground_iou": round(float(iou), 4)}))
            ok = ok and iou >= 0.9
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench", default="build/bench/bench-3d")
    p.add_argument("--n", type=int, default=512)
    p.add_argument("--sizes", default="640x360,1280x720")
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--dir", default="bench/out/3d")
    p.add_argument("--modes", default="dvr,mip,iso,labels")
    p.add_argument("--interactive", action="store_true", help="also time our interaction quality")
    p.add_argument("--no-vtk", action="store_true")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    subprocess.run([args.bench, "--n", str(args.n), "--sizes", args.sizes, "--frames", str(args.frames),
                    "--dir", args.dir, "--write-volume"], check=True, capture_output=True)
    with open(os.path.join(args.dir, "poses.json")) as f:
        params = json.load(f)
    volume = np.fromfile(os.path.join(args.dir, "volume.u8"), np.uint8).reshape(args.n, args.n, args.n)

    best = {}
    for r in range(args.rounds):
        rows = run_ours(args.bench, args, args.dir)
        if not args.no_vtk:
            rows += run_vtk(volume, params, args, args.dir)
        for row in rows:
            print(json.dumps(row), flush=True)
            if "median_ms" in row:
                key = (row["renderer"], row["quality"], row["mode"], row["size"])
                best[key] = min(best.get(key, 1e30), row["median_ms"])
        if r == 0 and not args.no_vtk and not gate(args.dir, args):
            sys.exit("correctness gate failed: the renderers disagree about what is in view")

    print("\n| mode | size | Porescope ms (fps) | VTK ms (fps) | VTK / Porescope |")
    print("|---|---|---|---|---|")
    for (rend, q, mode, size), ms in sorted(best.items(), key=lambda kv: (kv[0][3], kv[0][2], kv[0][1])):
        if rend != "porescope":
            continue
        v = best.get(("vtk", "full", mode, size))
        label = mode if q == "full" else mode + " (interactive)"
        vt = f"{v:.0f} ({1000 / v:.1f})" if v and q == "full" else "–"
        ratio = f"{v / ms:.2f}×" if v and q == "full" else "–"
        print(f"| {label} | {size} | {ms:.0f} ({1000 / ms:.1f}) | {vt} | {ratio} |")


if __name__ == "__main__":
    main()
