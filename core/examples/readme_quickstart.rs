//! The top README's "Using the Rust core" example, compiled by `cargo test --all-targets` so it
//! cannot drift: `tests/docs/run_code_blocks.py` checks that the README shows exactly this code.
//! It calls the API named by DOLLR_BASE_URL (the real one by default) with placeholder
//! credentials, so it is built, not run, by the tests.

use dollr_core::models::party::CreatePartyRequest;
use dollr_core::Client;

#[tokio::main]
async fn main() -> dollr_core::Result<()> {
    // DOLLR_CLIENT_ID / DOLLR_CLIENT_SECRET / DOLLR_BASE_URL are read when not given.
    let client = Client::builder()
        .client_id("your-client-id")
        .client_secret("your-client-secret")
        .journal_path("payments.db") // durable exactly-once journal (SQLite)
        .build()?;

    let party = client
        .parties()
        .create(&CreatePartyRequest {
            fullname: "Amara Kamara".into(),
            phone: "231771234567".into(),
            email: Some("amara@example.com".into()),
            country_code: Some("LR".into()),
        })
        .await?;
    println!("party {}", party.id);
    Ok(())
}
