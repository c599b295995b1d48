//! The citizen web form as an axum router, served by lambda_http in AWS and mounted by the local server.
