//! Which instruction set the kernels use, picked at run time.
//!
//! One binary runs everywhere: the AVX-512 kernels are compiled with
//! `#[target_feature]` and only called when the CPU reports every feature
//! they need; otherwise the scalar reference runs.

use std::fmt;

/// A family of kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Plain Rust loops: the reference every fast path is tested against.
    Scalar,
    /// AVX-512 F/BW/DQ/VL with VNNI (`vpdpbusd`) and FMA.
    Avx512,
}

impl Isa {
    /// The fastest family this CPU supports.
    pub fn best_supported() -> Isa {
        if Isa::Avx512.is_supported() {
            Isa::Avx512
        } else {
            Isa::Scalar
        }
    }

    /// The family to use: `DESKHAND_KERNELS` (`scalar`, `avx512` or `auto`)
    /// if set and supported, else the fastest supported one.
    pub fn detect() -> Isa {
        match std::env::var("DESKHAND_KERNELS").ok().as_deref() {
            Some(name) => match Isa::from_name(name) {
                Some(isa) if isa.is_supported() => isa,
                _ => Isa::best_supported(),
            },
            None => Isa::best_supported(),
        }
    }

    /// Parses a family name (`auto` means the fastest supported).
    pub fn from_name(name: &str) -> Option<Isa> {
        match name.trim().to_ascii_lowercase().as_str() {
            "scalar" => Some(Isa::Scalar),
            "avx512" | "avx-512" => Some(Isa::Avx512),
            "auto" | "" => Some(Isa::best_supported()),
            _ => None,
        }
    }

    /// Whether this CPU can run the family.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Scalar => true,
            Isa::Avx512 => avx512_supported(),
        }
    }

    /// Every family this CPU can run, the reference first.
    pub fn all_supported() -> Vec<Isa> {
        [Isa::Scalar, Isa::Avx512]
            .into_iter()
            .filter(|isa| isa.is_supported())
            .collect()
    }

    /// The family's name, as `DESKHAND_KERNELS` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
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

#[cfg(not(target_arch = "x86_64"))]
fn avx512_supported() -> bool {
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
        }
        assert_eq!(Isa::from_name("sse9"), None);
    }
}
