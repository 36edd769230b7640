//! The one error of the Swift/Kotlin packages: [`DollrError`], one variant per core
//! [`ErrorKind`] with the same names as every other binding (Kotlin: `DollrException.NotFound`, …;
//! Swift: `DollrError.notFound(...)`), each carrying what the core knows: `status`, `details`,
//! `retry_after`, `reference_id`, `request_id`. The variants and their docs come from the core's
//! table of error kinds (`dollr_core::error_kinds!`), so a new kind appears here with its
//! description and advice; the core error is mapped in ONE function ([`From<dollr_core::Error>`]).

use std::fmt;
use std::time::Duration;

use dollr_core::bridge::{camel_case, camel_case_field_names};
use dollr_core::{ErrorKind, ValidationDetail};

/// The fields every kind carries.
struct Fields {
    reason: String,
    status: Option<u16>,
    details: Vec<ValidationDetail>,
    retry_after: Option<Duration>,
    reference_id: Option<String>,
    request_id: Option<String>,
}

/// Declares the error enum from the core's table of error kinds: one variant per kind with the
/// same fields, documented with the kind's description and what to do (uniffi reads the docs from
/// the source, hence literals handed over by the core's macro), and the exhaustive conversions
/// between variants and kinds.
macro_rules! dollr_error {
    ($(
        $kind:ident {
            description: $description:literal,
            retryable: $retryable:literal,
            action: $action:literal $(,)?
        }
    ),+ $(,)?) => {
        /// An SDK failure. The variant is the stable kind (the same names in every dollr binding);
        /// `reason` says what went wrong and what to do, never a secret.
        #[derive(Clone, Debug, PartialEq, uniffi::Error)]
        pub enum DollrError {
            $(
                #[doc = $description]
                #[doc = ""]
                #[doc = $action]
                $kind {
                    /// What went wrong and what to do (no secrets).
                    reason: String,
                    /// The HTTP status, when the API answered.
                    status: Option<u16>,
                    /// Field-level problems (a 422, or validation before anything was sent).
                    details: Vec<ValidationDetail>,
                    /// How long the API asked to wait (429 `Retry-After`).
                    retry_after: Option<Duration>,
                    /// The execution this error concerns: resume it with `status().wait(..)` or
                    /// `reconcile(..)`, never with a new payment.
                    reference_id: Option<String>,
                    /// The API's request id, for support.
                    request_id: Option<String>,
                },
            )+
        }

        impl DollrError {
            fn from_fields(kind: ErrorKind, f: Fields) -> DollrError {
                match kind {
                    $(
                        ErrorKind::$kind => DollrError::$kind {
                            reason: f.reason,
                            status: f.status,
                            details: f.details,
                            retry_after: f.retry_after,
                            reference_id: f.reference_id,
                            request_id: f.request_id,
                        },
                    )+
                }
            }

            fn into_fields(self) -> (ErrorKind, Fields) {
                match self {
                    $(
                        DollrError::$kind {
                            reason,
                            status,
                            details,
                            retry_after,
                            reference_id,
                            request_id,
                        } => (
                            ErrorKind::$kind,
                            Fields { reason, status, details, retry_after, reference_id, request_id },
                        ),
                    )+
                }
            }

            /// The stable kind.
            pub fn kind(&self) -> ErrorKind {
                match self {
                    $( DollrError::$kind { .. } => ErrorKind::$kind, )+
                }
            }

            /// What went wrong.
            pub fn reason(&self) -> &str {
                match self {
                    $( DollrError::$kind { reason, .. } => reason, )+
                }
            }
        }
    };
}

dollr_core::error_kinds!(dollr_error);

impl DollrError {
    /// An `Internal` error (caught panics, runtime failures).
    pub(crate) fn internal(reason: impl Into<String>) -> DollrError {
        DollrError::from(dollr_core::Error::internal(reason))
    }
}

/// THE mapping from the core's error: the variant is the kind, the fields are copied, with the
/// fields named in `reason` and in each detail's `msg` spelled as Kotlin and Swift callers write
/// them (`` `payerName` is required``); each detail's `loc` stays in the API's terms
/// (`["body", "payer_name"]`), and [`validation_detail_field`] gives its camelCase field.
impl From<dollr_core::Error> for DollrError {
    fn from(error: dollr_core::Error) -> DollrError {
        let details = error
            .details()
            .iter()
            .map(|detail| ValidationDetail {
                msg: camel_case_field_names(&detail.msg),
                ..detail.clone()
            })
            .collect();
        DollrError::from_fields(
            error.kind(),
            Fields {
                reason: camel_case_field_names(error.message()),
                status: error.status(),
                details,
                retry_after: error.retry_after(),
                reference_id: error.reference_id().map(str::to_string),
                request_id: error.request_id().map(str::to_string),
            },
        )
    }
}

/// The way back, for errors a foreign token provider throws: the core sees the same kind and
/// fields.
impl From<DollrError> for dollr_core::Error {
    fn from(error: DollrError) -> dollr_core::Error {
        let (kind, f) = error.into_fields();
        let mut core = dollr_core::Error::new(kind, f.reason)
            .with_details(f.details)
            .with_retry_after(f.retry_after)
            .with_request_id(f.request_id);
        if let Some(status) = f.status {
            core = core.with_status(status);
        }
        if let Some(reference_id) = f.reference_id {
            core = core.with_reference_id(reference_id);
        }
        core
    }
}

/// A foreign callback (the token provider) threw something other than a `DollrError`: the token
/// could not be obtained, so the call fails as `Authentication` with what it threw.
impl From<uniffi::UnexpectedUniFFICallbackError> for DollrError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> DollrError {
        DollrError::from(dollr_core::Error::new(
            ErrorKind::Authentication,
            format!("the access-token provider failed: {}", error.reason),
        ))
    }
}

/// The dotted field a validation detail is about, without its `body`/`query`/`path` prefix and
/// spelled as Kotlin and Swift spell it (`items.0.unitPrice` for the API's
/// `["body", "items", "0", "unit_price"]`); the hand-written `field` accessors use it.
#[uniffi::export]
pub fn validation_detail_field(detail: ValidationDetail) -> String {
    camel_case(&detail.field())
}

impl fmt::Display for DollrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind(), self.reason())
    }
}

impl std::error::Error for DollrError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_kind_maps_to_the_variant_of_the_same_name_with_its_fields() {
        for kind in ErrorKind::ALL {
            let core = dollr_core::Error::new(kind, "boom")
                .with_status(418)
                .with_reference_id("ref")
                .with_request_id(Some("req".into()))
                .with_retry_after(Some(Duration::from_secs(3)));
            let mapped = DollrError::from(core);
            assert_eq!(mapped.kind(), kind);
            assert!(format!("{mapped:?}").starts_with(kind.name()), "{mapped:?}");
            let back = dollr_core::Error::from(mapped);
            assert_eq!(back.kind(), kind);
            assert_eq!(back.status(), Some(418));
            assert_eq!(back.reference_id(), Some("ref"));
            assert_eq!(back.request_id(), Some("req"));
            assert_eq!(back.retry_after(), Some(Duration::from_secs(3)));
        }
    }

    #[test]
    fn fields_are_named_the_kotlin_way_and_loc_stays_the_apis() {
        let core = dollr_core::Error::missing_field("payer_name");
        let mapped = DollrError::from(core);
        assert_eq!(mapped.reason(), "`payerName` is required");
        let DollrError::Validation { details, .. } = mapped else {
            panic!("expected Validation, got {mapped:?}");
        };
        assert_eq!(details[0].loc, ["body", "payer_name"]);
        assert_eq!(validation_detail_field(details[0].clone()), "payerName");
    }
}
