"""Depth-aware grading, free of Blender: what the material's grade nodes are given.

The grade itself runs in the material (see `blender/grading.py`), per shaded point: exposure, saturation and a
white balance mixed between the foreground's and the background's by the point's layer, then haze by its
distance from the rendering camera. Here are the numbers those nodes take: white-balance gains for a colour
temperature, and the haze rate for a density.
"""

import numpy as np

NEUTRAL_KELVIN = 6500.0  # a temperature that leaves colours as they are
# Rec. 709 / linear sRGB luminance weights: a white balance keeps the luminance of grey.
LUMINANCE = np.array([0.2126, 0.7152, 0.0722])
_XYZ_TO_LINEAR_SRGB = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])
# CIE 1931 2° colour matching functions as sums of piecewise Gaussians (Wyman, Sloan and Shirley, JCGT 2013):
# (weight, centre nm, width below, width above) per lobe.
_LOBES = {
    "x": ((1.056, 599.8, 37.9, 31.0), (0.362, 442.0, 16.0, 26.7), (-0.065, 501.1, 20.4, 26.2)),
    "y": ((0.821, 568.8, 46.9, 40.5), (0.286, 530.9, 16.3, 31.1)),
    "z": ((1.217, 437.0, 11.8, 36.0), (0.681, 459.0, 26.0, 13.8)),
}
_WAVELENGTHS_NM = np.arange(380.0, 781.0, 5.0)


def _matching(lobes):
    total = np.zeros_like(_WAVELENGTHS_NM)
    for weight, centre, below, above in lobes:
        width = np.where(_WAVELENGTHS_NM < centre, below, above)
        total += weight * np.exp(-0.5 * ((_WAVELENGTHS_NM - centre) / width) ** 2)
    return total


_CMF = np.stack([_matching(_LOBES[axis]) for axis in "xyz"])


def blackbody_rgb(kelvin):
    """Linear sRGB colour of a black body at `kelvin`, Planck's spectrum through the CIE observer (Y = 1)."""
    wavelength_m = _WAVELENGTHS_NM * 1e-9
    radiance = 1.0 / (wavelength_m ** 5 * np.expm1(1.4388e-2 / (wavelength_m * float(kelvin))))
    xyz = _CMF @ radiance
    return _XYZ_TO_LINEAR_SRGB @ (xyz / xyz[1])


def white_balance_gains(kelvin):
    """Per-channel gains that make a picture look lit by a black body at `kelvin` instead of at 6500 K.

    (1, 1, 1) at 6500 K; lower is warmer, higher cooler; the luminance of grey is kept, so only the tint moves.
    """
    gains = blackbody_rgb(kelvin) / blackbody_rgb(NEUTRAL_KELVIN)
    return gains / float(LUMINANCE @ gains)


def haze_rate(density, start):
    """The haze nodes' rate: haze = 1 − exp(rate · (depth − start)), zero up to `start` (behind the people).

    `density` is the optical depth that as much air again as lies between the camera and `start` adds.
    """
    return -float(density) / max(float(start), 1e-6)
