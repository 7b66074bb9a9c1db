import sys; sys.path.insert(0,'.')
import numpy as np, bpy
from PIL import Image
from portrait3d_blender.core import pipeline
from portrait3d_blender.blender import scene as bs
from tests.conftest import make_group_photo, magenta_world
p=make_group_photo('/tmp')
a=pipeline.analyse_photo(p)
for hide in (None, 0, 1):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    sc=bpy.context.scene
    s=pipeline.Settings(render_size=435, render_samples=2, frames=8)
    c, objs, cam, dev = bs.build_3d_photo(sc, a, pipeline.plan_scene(a,s), s)
    if hide is not None: objs[hide].hide_render=True
    sc.world=magenta_world()
    sc.render.image_settings.media_type='IMAGE'; sc.render.image_settings.file_format='PNG'
    sc.frame_set(3); sc.render.filepath=f'/tmp/grp_h{hide}.png'; bpy.ops.render.render(write_still=True)
    px=np.asarray(Image.open(sc.render.filepath).convert('RGB')).astype(int)
    mag=(px[...,0]>200)&(px[...,1]<60)&(px[...,2]>200)
    print("hide", hide, mag.mean())
