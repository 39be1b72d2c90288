"""Data sets: Fashion-MNIST parsing and errors, image folders with attribute tables."""
import gzip
import struct
import zipfile

import numpy as np
import pytest

from tests.conftest import synthetic_images
from training.data import (DataError, find_fashion_mnist, load_fashion_mnist, load_image_folder,
                           read_attribute_table)


def write_idx(path, array, magic):
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fake_fmnist(tmp_path):
    """Four idx files in Fashion-MNIST's layout, 10 training and 4 test images."""
    for split, n in (("train", 10), ("t10k", 4)):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz",
                  np.arange(n * 28 * 28).reshape(n, 28, 28) % 256, 2051)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10, 2049)
    return tmp_path


def test_fashion_mnist_from_a_named_folder_is_padded_to_32(fake_fmnist):
    ds = load_fashion_mnist("train", 32, fake_fmnist)
    assert ds.images.shape == (10, 32, 32, 1)
    assert ds.images[:, :2].sum() == 0 and ds.images[:, :, -2:].sum() == 0  # black border
    assert ds.images[0, 2, 2, 0] == 0 and ds.images[0, 2, 3, 0] == 1
    assert ds.labels.tolist() == list(range(10))
    x = ds.batch(slice(0, 2))
    assert x.shape == (2, 1, 32, 32) and x.min() >= -1 and x.max() <= 1
    assert load_fashion_mnist("test", 64, fake_fmnist).images.shape == (4, 64, 64, 1)


def test_missing_fashion_mnist_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        find_fashion_mnist(tmp_path)


def test_malformed_idx_files_are_reported(fake_fmnist):
    (fake_fmnist / "train-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="train-labels"):
        load_fashion_mnist("train", 32, fake_fmnist)
    write_idx(fake_fmnist / "train-labels-idx1-ubyte.gz", np.zeros(10), 9999)
    with pytest.raises(DataError, match="not an idx file"):
        load_fashion_mnist("train", 32, fake_fmnist)


def test_truncated_idx_file_is_reported(fake_fmnist):
    path = fake_fmnist / "train-images-idx3-ubyte.gz"
    raw = gzip.open(path).read()
    with gzip.open(path, "wb") as f:
        f.write(raw[:-100])
    with pytest.raises(DataError, match="truncated"):
        load_fashion_mnist("train", 32, fake_fmnist)


def test_image_folder_is_recursive_and_skips_unreadable_files(image_folder):
    (image_folder / "part0" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (image_folder / "notes.txt").write_text("not an image")
    ds = load_image_folder(image_folder, 32, 3)
    assert ds.images.shape == (48, 32, 32, 3)
    assert len(ds.skipped) == 1 and "broken.png" in ds.skipped[0]
    grey = load_image_folder(image_folder, 64, 1)
    assert grey.images.shape == (48, 64, 64, 1)


def test_image_zip_with_csv_and_celeba_attribute_tables(tmp_path):
    from PIL import Image

    zpath = tmp_path / "faces.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for i, arr in enumerate(synthetic_images(6, 48, 3)):
            import io

            buf = io.BytesIO()
            Image.fromarray(arr).save(buf, format="JPEG")
            zf.writestr(f"images/{i + 1:06d}.jpg", buf.getvalue())
    csv = tmp_path / "attrs.csv"
    csv.write_text("filename,Smiling,Male\n" + "".join(
        f"{i + 1:06d}.jpg,{i % 2},{int(i < 3)}\n" for i in range(6)))
    ds = load_image_folder(zpath, 32, 3, attributes=csv)
    assert ds.images.shape == (6, 32, 32, 3)
    assert ds.attribute_names == ("Smiling", "Male")
    assert ds.attributes[:, 0].tolist() == [False, True] * 3
    celeba = tmp_path / "list_attr_celeba.txt"
    celeba.write_text("6\nSmiling Male\n" + "".join(
        f"{i + 1:06d}.jpg {1 if i % 2 else -1} {1 if i < 3 else -1}\n" for i in range(6)))
    table, names = read_attribute_table(celeba)
    assert names == ("Smiling", "Male") and table["000002.jpg"] == [True, True]


def test_bad_attribute_rows_and_empty_folders_give_clear_errors(tmp_path, image_folder):
    bad = tmp_path / "bad.csv"
    bad.write_text("filename,Smiling\n000.png,1,0\n")
    with pytest.raises(DataError, match="row 1"):
        read_attribute_table(bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no readable images"):
        load_image_folder(tmp_path / "empty", 32, 1)
    with pytest.raises(DataError, match="neither a folder"):
        load_image_folder(tmp_path / "missing", 32, 1)
    partial = tmp_path / "partial.csv"
    partial.write_text("filename,Smiling\n000.png,1\n")
    with pytest.raises(DataError, match="no row for 47 images"):
        load_image_folder(image_folder, 32, 1, attributes=partial)


FACES = __import__("tests.conftest", fromlist=["SHARED"]).SHARED / "data" / "faces"


@pytest.mark.skipif(not (FACES / "celeba10k-64.zip").is_file(),
                    reason="needs ../shared/data/faces (CelebA subset; not shipped with the project)")
def test_celeba_zip_and_csv_are_read_without_unpacking():
    names = {f"{i:06d}.jpg" for i in range(1, 21)}
    ds = load_image_folder(FACES / "celeba10k-64.zip", 64, 3,
                           attributes=FACES / "celeba10k-attributes.csv", names=names)
    assert ds.images.shape == (20, 64, 64, 3) and not ds.skipped
    assert "Smiling" in ds.attribute_names and len(ds.attribute_names) == 40
    assert ds.attributes.shape == (20, 40)
    assert ds.images.float().std() > 20  # real photos, not blank frames
