//! What a file is, from its first bytes: the six formats the media store accepts (PNG,
//! JPEG, GIF, WebP, WebM, MP4), each recognised by its signature, never by its name or the
//! type a browser claims. Anything else (an executable renamed `.png`, a script, SVG, HTML,
//! plain Matroska, QuickTime, HEIF/AVIF) is refused, so nothing the store serves can run.

/// How many leading bytes [`sniff`] needs to decide (fewer when the file is shorter).
pub const SNIFF_BYTES: usize = 512;

/// An accepted format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Gif,
    Webp,
    Webm,
    Mp4,
}

impl Format {
    /// The `Content-Type` the file is stored and served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Gif => "image/gif",
            Format::Webp => "image/webp",
            Format::Webm => "video/webm",
            Format::Mp4 => "video/mp4",
        }
    }
}

/// ISO base media brands of MP4 video players read. QuickTime (`qt  `) and the still-image
/// brands of HEIF and AVIF are deliberately absent: browsers do not play those as video.
const MP4_BRANDS: [&[u8; 4]; 16] = [
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ",
    b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV", b"f4v ",
];

/// Major brands that make an `ftyp` file something else, whatever it lists as compatible
/// (an AVIF image often names `iso8` or `mif1`; audio-only M4A names `isom` and `mp42`).
const NOT_VIDEO_BRANDS: [&[u8; 4]; 14] = [
    b"qt  ", b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1",
    b"msf1", b"M4A ", b"M4B ", b"M4P ",
];

/// The format of a file starting with `head` (its first [`SNIFF_BYTES`] bytes, or all of
/// it), or `None` when it is not one the store accepts.
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some(Format::Jpeg)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some(Format::Webp)
    } else if head.starts_with(b"\x1a\x45\xdf\xa3") {
        (ebml_doc_type(head) == Some(b"webm".as_slice())).then_some(Format::Webm)
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        mp4(head).then_some(Format::Mp4)
    } else {
        None
    }
}

/// Whether an `ftyp` box names an MP4 video brand, as its major brand or a compatible one.
fn mp4(head: &[u8]) -> bool {
    let major = &head[8..12];
    if NOT_VIDEO_BRANDS.iter().any(|b| b.as_slice() == major) {
        return false;
    }
    let known = |brand: &[u8]| MP4_BRANDS.iter().any(|b| b.as_slice() == brand);
    if known(major) {
        return true;
    }
    // Size, type, major brand, minor version, then compatible brands to the box's end.
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let end = size.min(head.len());
    head.get(16..end)
        .is_some_and(|brands| brands.chunks_exact(4).any(known))
}

/// An EBML variable-length integer at the start of `bytes`: (value, length). With `keep_marker`
/// the length marker bit stays in the value (element ids are written that way).
fn vint(bytes: &[u8], keep_marker: bool) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 || bytes.len() < len {
        return None;
    }
    let mut value = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first) & (0xff >> len)
    };
    for b in &bytes[1..len] {
        value = (value << 8) | u64::from(*b);
    }
    Some((value, len))
}

/// The `DocType` of an EBML header (`webm`, `matroska`, …), read from the header's own
/// child elements rather than searched for anywhere in the bytes.
fn ebml_doc_type(head: &[u8]) -> Option<&[u8]> {
    const DOC_TYPE: u64 = 0x4282;
    let (size, n) = vint(head.get(4..)?, false)?;
    let start = 4 + n;
    let end = start
        .checked_add(usize::try_from(size).ok()?)?
        .min(head.len());
    let mut at = start;
    while at < end {
        let (id, id_len) = vint(&head[at..end], true)?;
        let (len, len_len) = vint(&head[at + id_len..end], false)?;
        let data = at + id_len + len_len;
        let next = data.checked_add(usize::try_from(len).ok()?)?;
        if id == DOC_TYPE {
            return head.get(data..next.min(end));
        }
        at = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WebM (or Matroska) file's first bytes as ffmpeg writes them.
    fn ebml(doc_type: &[u8]) -> Vec<u8> {
        let mut children = vec![
            0x42, 0x86, 0x81, 0x01, // EBMLVersion 1
            0x42, 0xf7, 0x81, 0x01, // EBMLReadVersion 1
            0x42, 0xf2, 0x81, 0x04, // EBMLMaxIDLength 4
            0x42, 0xf3, 0x81, 0x08, // EBMLMaxSizeLength 8
            0x42, 0x82,
        ];
        children.push(0x80 | doc_type.len() as u8);
        children.extend_from_slice(doc_type);
        children.extend_from_slice(&[0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02]);
        let mut file = vec![0x1a, 0x45, 0xdf, 0xa3, 0x80 | children.len() as u8];
        file.extend(children);
        file.extend_from_slice(&[0x18, 0x53, 0x80, 0x67, 0x01]); // Segment…
        file
    }

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut file = (size as u32).to_be_bytes().to_vec();
        file.extend_from_slice(b"ftyp");
        file.extend_from_slice(major);
        file.extend_from_slice(&[0, 0, 2, 0]);
        for b in compatible {
            file.extend_from_slice(*b);
        }
        file.extend_from_slice(b"\0\0\0\x08free");
        file
    }

    #[test]
    fn images_by_signature() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(Format::Png));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), Some(Format::Jpeg));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some(Format::Gif));
        assert_eq!(sniff(b"GIF87a\x01\0\x01\0"), Some(Format::Gif));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(Format::Webp));
        // A WAV file is RIFF too.
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        // Truncated signatures are not enough.
        assert_eq!(sniff(b"\x89PNG"), None);
        assert_eq!(sniff(b"GIF8"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn webm_but_not_matroska() {
        assert_eq!(sniff(&ebml(b"webm")), Some(Format::Webm));
        assert_eq!(sniff(&ebml(b"matroska")), None);
        // "webm" somewhere later in the bytes is not the DocType.
        let mut fake = ebml(b"matroska");
        fake.extend_from_slice(b"\x42\x82\x84webm");
        assert_eq!(sniff(&fake), None);
        // A header cut short, or with absurd sizes, is refused without panicking.
        let whole = ebml(b"webm");
        for n in 0..whole.len() {
            let _ = sniff(&whole[..n]);
        }
        assert_eq!(
            sniff(b"\x1a\x45\xdf\xa3\x01\xff\xff\xff\xff\xff\xff\xff\x42\x82"),
            None
        );
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3\x00"), None);
    }

    #[test]
    fn mp4_video_brands_only() {
        assert_eq!(
            sniff(&ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"])),
            Some(Format::Mp4)
        );
        assert_eq!(sniff(&ftyp(b"mp42", &[])), Some(Format::Mp4));
        // An unknown major brand that lists a known compatible one.
        assert_eq!(
            sniff(&ftyp(b"XAVC", &[b"XAVC", b"mp42", b"iso2"])),
            Some(Format::Mp4)
        );
        assert_eq!(sniff(&ftyp(b"qt  ", &[b"qt  "])), None);
        assert_eq!(
            sniff(&ftyp(b"avif", &[b"avif", b"mif1", b"miaf", b"iso8"])),
            None
        );
        assert_eq!(sniff(&ftyp(b"heic", &[b"mif1", b"heic", b"isom"])), None);
        assert_eq!(sniff(&ftyp(b"M4A ", &[b"M4A ", b"mp42", b"isom"])), None);
        assert_eq!(sniff(&ftyp(b"abcd", &[b"efgh"])), None);
        // A box size past the bytes we have reads only what is there.
        let mut big = ftyp(b"abcd", &[b"mp42"]);
        big[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(sniff(&big), Some(Format::Mp4));
    }

    #[test]
    fn executables_and_pages_are_refused() {
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0\0\0\0\0"), None);
        assert_eq!(sniff(b"#!/bin/sh\nrm -rf /\n"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>"),
            None
        );
        assert_eq!(sniff(b"<!doctype html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"PK\x03\x04"), None);
        assert_eq!(sniff(b"%PDF-1.7"), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(Format::Webm.content_type(), "video/webm");
        assert_eq!(Format::Mp4.content_type(), "video/mp4");
        assert_eq!(Format::Jpeg.content_type(), "image/jpeg");
    }
}
