//! A stateful local simulation of the Dollr v1 API (work in progress).
