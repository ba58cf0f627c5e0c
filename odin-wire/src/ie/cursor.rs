//! Bounds-checked reading and writing of element bodies.
//!
//! Every element parser reads through a [`Reader`] and every emitter writes
//! through a [`Writer`], so no code in this module indexes a slice directly.

use crate::{Error, Result};

/// Reads little-endian fields from the front of a byte slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The unread bytes, consuming them.
    pub(crate) fn take_rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// The next `n` bytes, or `BadLength` when fewer remain.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(Error::BadLength)?;
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| Error::BadLength)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        let (&first, tail) = self.rest.split_first().ok_or(Error::BadLength)?;
        self.rest = tail;
        Ok(first)
    }

    pub(crate) fn u16_le(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32_le(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
}

/// Writes fields one after the other into a byte slice.
#[derive(Debug)]
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Writer<'b> {
        Writer { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<()> {
        let end = self.pos.checked_add(bytes.len()).ok_or(Error::Truncated)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(Error::Truncated)?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    pub(crate) fn u8(&mut self, value: u8) -> Result<()> {
        self.put(&[value])
    }

    pub(crate) fn u16_le(&mut self, value: u16) -> Result<()> {
        self.put(&value.to_le_bytes())
    }

    pub(crate) fn u32_le(&mut self, value: u32) -> Result<()> {
        self.put(&value.to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reads_and_reports_short_input() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16_le(), Ok(0x0302));
        assert_eq!(r.u32_le(), Ok(0x0706_0504));
        assert_eq!(r.remaining(), 0);
        assert_eq!(r.u8(), Err(Error::BadLength));
        assert_eq!(r.take(1), Err(Error::BadLength));
        assert_eq!(r.take_rest(), &[] as &[u8]);
    }

    #[test]
    fn writer_refuses_to_overrun() {
        let mut buf = [0u8; 3];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.u16_le(0x0201), Ok(()));
        assert_eq!(w.u16_le(0x0403), Err(Error::Truncated));
        assert_eq!(w.u8(3), Ok(()));
        assert_eq!(w.position(), 3);
        assert_eq!(w.u32_le(0), Err(Error::Truncated));
        assert_eq!(buf, [1, 2, 3]);
    }
}
