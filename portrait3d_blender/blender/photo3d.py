"""A 3D photo in a .blend: what marks one, which one a button acts on, and what it is made of.

A 3D photo is a collection marked with `PHOTO_TAG` (its id and the photo it came from), holding one mesh object
per layer (each tagged with `LAYER_TAG`), and its camera. `Photo3D` is a small handle on that collection; every
operator, the panel, the CLI and the exporters find a 3D photo through `Photo3D.active` or `Photo3D.of_object`
and ask it for its parts. Handles are made per call and never kept across undo, timers or threads: keep
`Photo3D.name` and look the photo up again with `Photo3D.named`.
"""

import collections
import dataclasses
from pathlib import Path

import bpy

from ..core import pipeline
from ..core.depth_source import DepthSource
from ..core.errors import NotA3DPhotoError, PhotoError
from ..core.jobs import AnalysisJob

PHOTO_TAG = "portrait3d"  # ID property group on the 3D photo's collection: the one marker (id, source, depth, ...)
LAYER_TAG = "portrait3d_layer"  # ID property group on each layer object: its layer and what its materials suit
PHOTO_IMAGE_TAG = "portrait3d_photo"  # ID property on the photo's own image: what texture it is (see scene.py)
PHOTO_FILE_TEXTURE = "file"  # PHOTO_IMAGE_TAG of an image that packs the photo file's own bytes

# Network results of the latest 3D photos made or analysed in this session, by photo id, so refining one never
# runs the networks again. Bounded: each holds a few working-resolution maps (~10 MB).
_ANALYSES = collections.OrderedDict()
_ANALYSES_KEPT = 8


def remember_analysis(photo_id, analysis):
    _ANALYSES[photo_id] = analysis
    _ANALYSES.move_to_end(photo_id)
    while len(_ANALYSES) > _ANALYSES_KEPT:
        _ANALYSES.popitem(last=False)


def forget_analyses():
    """Drop the cached analyses (a batch keeps memory flat this way)."""
    _ANALYSES.clear()


def mark_collection(collection, photo_id, photo, depth_source=DepthSource()):
    """Make `collection` a 3D photo of `photo` (a `core.image.Photo`): the one marker every lookup checks.

    Besides the id and the source path it keeps where the depth came from, and what a packed upright copy of
    the photo no longer says: the displayed size and the EXIF focal length (0: none)."""
    collection[PHOTO_TAG] = {
        "id": photo_id, "source": str(photo.path), "depth_source": depth_source.as_tag(),
        "size": [photo.width, photo.height], "focal_35mm": photo.focal_35mm or 0.0,
    }


class Photo3D:
    """Handle on one 3D photo's collection: its camera, layers, source photo and analysis."""

    def __init__(self, collection):
        if PHOTO_TAG not in collection:
            raise NotA3DPhotoError(f"'{collection.name}' is not a 3D photo this add-on made")
        self.collection = collection

    def __eq__(self, other):
        return isinstance(other, Photo3D) and other.collection == self.collection

    def __hash__(self):
        return hash(self.collection.name)

    def __repr__(self):
        return f"Photo3D({self.collection.name!r})"

    @classmethod
    def of_object(cls, obj):
        """The 3D photo `obj` (a layer, its camera, anything linked into its collection) belongs to, or None."""
        for collection in obj.users_collection if obj is not None else ():
            if PHOTO_TAG in collection:
                return cls(collection)
        return None

    @classmethod
    def active(cls, context):
        """The 3D photo a button acts on: the active object's, else the scene camera's; None when neither has one."""
        view_layer = getattr(context, "view_layer", None)
        active_object = view_layer.objects.active if view_layer is not None else None
        return cls.of_object(active_object) or cls.of_object(context.scene.camera)

    @classmethod
    def named(cls, name):
        """The 3D photo whose collection is called `name`, or None (it was deleted or renamed)."""
        collection = bpy.data.collections.get(name)
        return cls(collection) if collection is not None and PHOTO_TAG in collection else None

    @property
    def name(self):
        return self.collection.name

    @property
    def id(self):
        return self.collection[PHOTO_TAG]["id"]

    @property
    def source(self):
        """Path of the photo file it was made from (it may since have moved: the image is packed in the .blend)."""
        return Path(self.collection[PHOTO_TAG]["source"])

    @property
    def size(self):
        """(width, height) of the photo as displayed, in pixels: the render's aspect."""
        width, height = self.collection[PHOTO_TAG]["size"]
        return width, height

    @property
    def scene(self):
        """The scene made for this 3D photo (the first one it is linked into directly), or None."""
        return next((scene for scene in bpy.data.scenes if self.collection.name in scene.collection.children), None)

    @property
    def layers(self):
        """The layer mesh objects, front to back (subject before background)."""
        return [obj for obj in self.collection.objects if obj.type == "MESH" and LAYER_TAG in obj]

    @property
    def mesh_objects(self):
        """Every mesh object in the 3D photo's collection (layers and anything the user added), by name."""
        return sorted((obj for obj in self.collection.all_objects if obj.type == "MESH"), key=lambda obj: obj.name)

    def camera_in(self, scene):
        """The 3D photo's camera: the scene's camera when it is one of them, else its first."""
        cameras = [obj for obj in self.collection.objects if obj.type == "CAMERA"]
        if scene is not None and scene.camera in cameras:
            return scene.camera
        return cameras[0] if cameras else None

    @property
    def camera(self):
        return self.camera_in(None)

    def default_output(self, suffix):
        """A file beside the photo, named after it with `suffix` (e.g. "_3d.mp4")."""
        return self.source.with_name(f"{self.source.stem}{suffix}")

    @property
    def depth_source(self):
        """Where its depth came from (`core.depth_source.DepthSource`): the network unless the user gave one."""
        tag = self.collection[PHOTO_TAG].get("depth_source")
        return DepthSource(**tag.to_dict()) if tag is not None else DepthSource()
    def photo_image(self):
        """The photo's own image (packed in the .blend) that the layers show, or None."""
        for obj in self.layers:
            for slot in obj.material_slots:
                for node in slot.material.node_tree.nodes if slot.material else ():
                    if node.type == "TEX_IMAGE" and node.image is not None and PHOTO_IMAGE_TAG in node.image:
                        return node.image
        return None

    def cached_analysis(self):
        """This session's analysis of the photo, or None."""
        return _ANALYSES.get(self.id)

    def remember(self, analysis):
        """Keep `analysis` as this 3D photo's for the session (fixed up by `analysis_job`'s caller)."""
        remember_analysis(self.id, self._as_packed(analysis))
        return self.cached_analysis()

    def _packed_bytes(self):
        """The bytes of the photo's image packed in the .blend (read on the main thread: they are Blender's)."""
        image = self.photo_image()
        if image is None or image.packed_file is None:
            raise PhotoError(f"'{self.name}' has lost its packed photo: make the 3D photo again")
        return bytes(image.packed_file.data)

    def analysis_job(self):
        """An `AnalysisJob` (not started) of the photo packed in the .blend, for a worker thread; pass its
        result to `remember`."""
        return AnalysisJob(self.source, self.depth_source, data=self._packed_bytes())

    def analysis(self):
        """The networks' results: this session's, else the photo packed in the .blend analysed again on this
        thread (seconds; the UI runs `analysis_job` on a worker thread instead). The photo file itself is
        not needed: it may have moved since."""
        analysis = self.cached_analysis()
        if analysis is None:
            analysis = self.remember(pipeline.analyse_photo(self.source, depth_source=self.depth_source,
                                                            data=self._packed_bytes()))
        return analysis

    def _as_packed(self, analysis):
        """An analysis of the packed image, told what the photo file was when the image is an upright copy
        (a photo over the texture limit, or a format Blender cannot read): its EXIF focal length, and that
        Blender should not read it as the file (so the texture key stays as it was made)."""
        image = self.photo_image()
        photo = analysis.photo
        if photo.data is None or image is None or image[PHOTO_IMAGE_TAG] == PHOTO_FILE_TEXTURE:
            return analysis
        focal_35mm = self.collection[PHOTO_TAG]["focal_35mm"] or None
        return dataclasses.replace(analysis, photo=dataclasses.replace(photo, focal_35mm=focal_35mm,
                                                                       blender_can_read=False))
