//! A TrueType subset for embedding: the glyphs a PDF uses keep their outlines, every other
//! glyph is emptied, and the tables a PDF reader never consults are left out.
//!
//! printpdf 0.12 without its `text_layout` feature (which this workspace leaves off: it
//! brings a whole layout engine) embeds the font program it is given as it is, and DejaVu
//! Sans is 740 KiB. Glyph ids are kept (no renumbering), so the content stream, the `/W`
//! widths and the `/ToUnicode` map printpdf writes from the full font's tables stay right;
//! only `glyf` and `loca` shrink. What is kept: `OS/2`, `cmap`, `cvt `, `fpgm`, `gasp`,
//! `glyf`, `head`, `hhea`, `hmtx`, `loca`, `maxp`, `name` (it carries the fonts' copyright
//! and license notice) and `post` (cut to its version 3 header: no glyph names). Left out:
//! the OpenType layout tables (`GDEF`, `GPOS`, `GSUB`, `kern`; printpdf does not shape),
//! `MATH`, `FFTM` and anything else.

use std::collections::BTreeSet;

const KEEP: [&[u8; 4]; 14] = [
    b"OS/2", b"cmap", b"cvt ", b"fpgm", b"gasp", b"glyf", b"head", b"hhea", b"hmtx", b"loca",
    b"maxp", b"name", b"post", b"prep",
];

fn u16_at(data: &[u8], at: usize) -> Result<u16, String> {
    data.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| format!("font data ends at {at}"))
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, String> {
    data.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("font data ends at {at}"))
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

fn pad4(data: &mut Vec<u8>) {
    while !data.len().is_multiple_of(4) {
        data.push(0);
    }
}

/// `font` with only the glyphs in `keep` (plus `.notdef` and the components of kept
/// composite glyphs) still drawn. Glyph ids do not change.
pub(super) fn strip_glyphs(font: &[u8], keep: &BTreeSet<u16>) -> Result<Vec<u8>, String> {
    let num_tables = usize::from(u16_at(font, 4)?);
    let mut tables: Vec<([u8; 4], &[u8])> = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let record = 12 + 16 * i;
        let tag: [u8; 4] = font
            .get(record..record + 4)
            .and_then(|t| t.try_into().ok())
            .ok_or("the font's table directory is cut short")?;
        let offset = u32_at(font, record + 8)? as usize;
        let length = u32_at(font, record + 12)? as usize;
        let data = font
            .get(offset..offset.saturating_add(length))
            .ok_or_else(|| format!("table {} runs past the font's end", tag.escape_ascii()))?;
        tables.push((tag, data));
    }
    let table = |tag: &[u8; 4]| {
        tables
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, d)| *d)
            .ok_or_else(|| format!("the font has no {} table", tag.escape_ascii()))
    };
    let head = table(b"head")?;
    let long_loca = u16_at(head, 50)? != 0;
    let num_glyphs = usize::from(u16_at(table(b"maxp")?, 4)?);
    let loca = table(b"loca")?;
    let glyf = table(b"glyf")?;

    let mut offsets = Vec::with_capacity(num_glyphs + 1);
    for g in 0..=num_glyphs {
        offsets.push(if long_loca {
            u32_at(loca, 4 * g)? as usize
        } else {
            2 * usize::from(u16_at(loca, 2 * g)?)
        });
    }
    let glyph = |g: usize| -> Result<&[u8], String> {
        let (start, end) = (offsets[g], offsets[g + 1]);
        if start > end {
            return Err(format!("glyph {g} has a negative length"));
        }
        glyf.get(start..end)
            .ok_or_else(|| format!("glyph {g} runs past the glyf table"))
    };

    // The glyphs to keep: those asked for, .notdef, and every component they are made of.
    let mut kept = BTreeSet::new();
    let mut todo: Vec<u16> = keep.iter().copied().chain([0]).collect();
    while let Some(g) = todo.pop() {
        if usize::from(g) >= num_glyphs || !kept.insert(g) {
            continue;
        }
        let data = glyph(usize::from(g))?;
        if data.len() < 10 || (u16_at(data, 0)? as i16) >= 0 {
            continue;
        }
        let mut at = 10;
        loop {
            let flags = u16_at(data, at)?;
            todo.push(u16_at(data, at + 2)?);
            at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
            at += if flags & 0x0008 != 0 {
                2
            } else if flags & 0x0040 != 0 {
                4
            } else if flags & 0x0080 != 0 {
                8
            } else {
                0
            };
            if flags & 0x0020 == 0 {
                break;
            }
        }
    }

    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity(4 * (num_glyphs + 1));
    for g in 0..num_glyphs {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        if u16::try_from(g).is_ok_and(|g| kept.contains(&g)) {
            new_glyf.extend_from_slice(glyph(g)?);
            pad4(&mut new_glyf);
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());

    let mut new_head = head.to_vec();
    new_head[8..12].copy_from_slice(&[0; 4]); // checkSumAdjustment, set below
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes()); // long loca offsets

    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    for (tag, data) in &tables {
        if !KEEP.contains(&tag) {
            continue;
        }
        let data = match tag {
            b"glyf" => std::mem::take(&mut new_glyf),
            b"loca" => std::mem::take(&mut new_loca),
            b"head" => std::mem::take(&mut new_head),
            b"post" if data.len() >= 32 => {
                let mut post = data[..32].to_vec();
                post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
                post
            }
            _ => data.to_vec(),
        };
        out_tables.push((*tag, data));
    }
    out_tables.sort_by_key(|t| t.0);

    let n = out_tables.len();
    let n16 = u16::try_from(n).map_err(|_| "too many tables".to_owned())?;
    let entry_selector = (usize::BITS - 1 - n.max(1).leading_zeros()) as u16;
    let search_range = 16u16 << entry_selector;
    let mut out = Vec::with_capacity(12 + 16 * n);
    out.extend_from_slice(font.get(..4).ok_or("no sfnt version")?);
    out.extend_from_slice(&n16.to_be_bytes());
    out.extend_from_slice(&search_range.to_be_bytes());
    out.extend_from_slice(&entry_selector.to_be_bytes());
    out.extend_from_slice(&(n16 * 16 - search_range).to_be_bytes());
    let mut offset = 12 + 16 * n;
    let mut head_at = None;
    for (tag, data) in &out_tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        if tag == b"head" {
            head_at = Some(offset);
        }
        offset += data.len().next_multiple_of(4);
    }
    for (_, data) in &out_tables {
        out.extend_from_slice(data);
        pad4(&mut out);
    }
    let head_at = head_at.ok_or("the font has no head table")?;
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[head_at + 8..head_at + 12].copy_from_slice(&adjustment.to_be_bytes());
    Ok(out)
}
