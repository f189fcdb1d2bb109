//! Which instruction set the kernels use, picked at run time.
//!
//! One binary runs everywhere: the AVX-512 kernels are compiled with
//! `#[target_feature]` and only run when the CPU reports every feature they
//! need. Every safe entry point passes its `Isa` through [`Isa::usable`],
//! so naming a family the CPU lacks runs the scalar reference (which gives
//! the same bits) instead of faulting.

use std::fmt;

/// A family of kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Plain Rust loops: the reference every fast path is tested against.
    Scalar,
    /// AVX2 with FMA: CPUs without AVX-512.
    Avx2,
    /// AVX-512 F/BW/DQ/VL with VNNI (`vpdpbusd`) and FMA.
    Avx512,
}

impl Isa {
    /// The fastest family this CPU supports.
    pub fn best_supported() -> Isa {
        [Isa::Avx512, Isa::Avx2]
            .into_iter()
            .find(|isa| isa.is_supported())
            .unwrap_or(Isa::Scalar)
    }

    /// Parses a family name (`auto` means the fastest supported); `None`
    /// for an unknown name or a family this CPU cannot run.
    pub fn from_name(name: &str) -> Option<Isa> {
        let isa = match name.trim().to_ascii_lowercase().as_str() {
            "scalar" => Isa::Scalar,
            "avx2" => Isa::Avx2,
            "avx512" | "avx-512" => Isa::Avx512,
            "auto" | "" => Isa::best_supported(),
            _ => return None,
        };
        isa.is_supported().then_some(isa)
    }

    /// This family if the CPU runs it, else the scalar reference.
    #[inline]
    pub fn usable(self) -> Isa {
        if self.is_supported() {
            self
        } else {
            Isa::Scalar
        }
    }

    /// Whether this CPU can run the family.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Scalar => true,
            Isa::Avx2 => avx2_supported(),
            Isa::Avx512 => avx512_supported(),
        }
    }

    /// Every family this CPU can run, the reference first.
    pub fn all_supported() -> Vec<Isa> {
        [Isa::Scalar, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|isa| isa.is_supported())
            .collect()
    }

    /// The family's name, as [`Isa::from_name`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(target_arch = "x86_64")]
fn avx512_supported() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512vnni")
        && std::arch::is_x86_feature_detected!("fma")
}

#[cfg(target_arch = "x86_64")]
fn avx2_supported() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

#[cfg(not(target_arch = "x86_64"))]
fn avx512_supported() -> bool {
    false
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_supported() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_always_available_and_names_round_trip() {
        assert!(Isa::all_supported().contains(&Isa::Scalar));
        for isa in Isa::all_supported() {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
            assert_eq!(isa.usable(), isa);
        }
        assert_eq!(Isa::from_name("sse9"), None);
        if !Isa::Avx512.is_supported() {
            assert_eq!(Isa::from_name("avx512"), None);
            assert_eq!(Isa::Avx512.usable(), Isa::Scalar);
        }
    }
}
