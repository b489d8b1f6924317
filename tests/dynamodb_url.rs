//! `Store::open("dynamodb://...")` and the standard AWS configuration chain.
//! One test in a binary of its own, since it sets environment variables.

#[path = "common/dynamodb.rs"]
mod dynamodb;

use blue_schema::{Error, Store};
use blue_schema_examples::dialogue::*;

#[test]
fn dynamodb_urls_follow_the_aws_configuration_chain() {
    let (endpoint, local) = dynamodb::endpoint_url();
    if local {
        // The emulator takes any credentials; the chain finds these. (An
        // external endpoint uses whatever the environment already holds.)
        std::env::set_var("AWS_ACCESS_KEY_ID", "blue-schema-test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "blue-schema-test");
    }
    std::env::remove_var("AWS_ENDPOINT_URL");
    std::env::remove_var("AWS_ENDPOINT_URL_DYNAMODB");
    let prefix = dynamodb::unique_prefix();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let expert = Expert {
            dialogue_id: "d".into(),
            name: "muffin".into(),
            role: "skeptic".into(),
            tier: 1,
            score: 42,
        };
        // Region, endpoint and table prefix from the URL.
        let url = format!("dynamodb://?region=us-east-1&endpoint={endpoint}&table_prefix={prefix}");
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.backend_name(), "dynamodb");

        // Naming a table checks that it exists.
        let with_table = format!(
            "dynamodb://blue_dialogue?region=us-east-1&endpoint={endpoint}&table_prefix={prefix}"
        );
        match Store::open(&with_table).await {
            Err(Error::TableNotFound { table }) => assert_eq!(table, "blue_dialogue"),
            other => panic!("expected TableNotFound, got {other:?}"),
        }
        store.create_table::<Dialogue>().await.unwrap();
        store.put(&expert).await.unwrap();
        let named = Store::open(&with_table).await.unwrap();
        assert_eq!(
            named.get(Expert::key("d", "muffin")).await.unwrap(),
            Some(expert.clone())
        );

        // The endpoint from AWS_ENDPOINT_URL_DYNAMODB, as every AWS SDK reads it.
        std::env::set_var("AWS_ENDPOINT_URL_DYNAMODB", &endpoint);
        let from_env = Store::open(&format!(
            "dynamodb://?region=us-east-1&table_prefix={prefix}"
        ))
        .await
        .unwrap();
        assert_eq!(
            from_env.get(Expert::key("d", "muffin")).await.unwrap(),
            Some(expert)
        );
        std::env::remove_var("AWS_ENDPOINT_URL_DYNAMODB");

        // A store that cannot reach DynamoDB says so when it is used.
        let nowhere = Store::open("dynamodb://?region=us-east-1&endpoint=http://127.0.0.1:9")
            .await
            .unwrap();
        match nowhere.get(Expert::key("d", "muffin")).await {
            Err(error @ Error::Unavailable { .. }) => {
                assert!(error.is_retryable());
                let source = std::error::Error::source(&error).unwrap();
                assert!(source.to_string().starts_with("GetItem: "), "{source}");
            }
            other => panic!("expected an unavailable DynamoDB, got {other:?}"),
        }

        for (url, reason) in [
            ("dynamodb://?colour=blue", "unknown option \"colour\""),
            ("dynamodb://no way", "is not a DynamoDB table name"),
            ("dynamodb://?table_prefix=a%20b", "table_prefix \"a b\""),
        ] {
            match Store::open(url).await {
                Err(Error::InvalidUrl { reason: r, .. }) => assert!(r.contains(reason), "{r}"),
                other => panic!("{url}: expected InvalidUrl, got {other:?}"),
            }
        }

        // An SSO profile is understood (the feature is compiled in): with no
        // `aws sso login` done, it fails for want of a token, not because
        // the build cannot do SSO. Nothing is sent: the token comes first.
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("config");
        std::fs::write(
            &config,
            "[profile blue-sso]\n\
             sso_start_url = https://blue-schema.invalid/start\n\
             sso_region = us-east-1\n\
             sso_account_id = 123456789012\n\
             sso_role_name = Developer\n",
        )
        .unwrap();
        std::env::set_var("AWS_CONFIG_FILE", &config);
        std::env::set_var("HOME", home.path());
        std::env::remove_var("AWS_ACCESS_KEY_ID");
        std::env::remove_var("AWS_SECRET_ACCESS_KEY");
        let sso = Store::open(&format!(
            "dynamodb://?profile=blue-sso&region=us-east-1&endpoint={endpoint}&table_prefix={prefix}"
        ))
        .await
        .unwrap();
        let err = sso.get(Expert::key("d", "muffin")).await.unwrap_err();
        let chain = blue_schema::error_chain(&err);
        assert!(matches!(err, Error::Backend { .. }), "{chain}");
        assert!(!chain.contains("cargo feature"), "{chain}");
        assert!(chain.contains(".aws/sso/cache/"), "the SSO token cache: {chain}");
        std::env::remove_var("AWS_CONFIG_FILE");
        if local {
            std::env::set_var("AWS_ACCESS_KEY_ID", "blue-schema-test");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "blue-schema-test");
        }

        // Clean up on a shared endpoint.
        let backend =
            blue_schema::backend::dynamodb::DynamoDbBackend::new(&dynamodb::client().await)
                .with_table_prefix(&prefix)
                .unwrap();
        dynamodb::drop_tables(&backend).await;
    });
}
