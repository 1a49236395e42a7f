//! Restarting the whole server resumes every running meeting where it stood; sessions and
//! scores survive; connections are told to reconnect (1012).

use librekast_tests::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_resumes_the_meeting() -> anyhow::Result<()> {
    let first = TestServer::start("restart").await?;
    let url = first.database_url.clone();
    let meeting = first.demo_meeting().await?;
    let org_token = first.admin_token().await?;
    let mut org = first.connect(meeting, &org_token).await?;
    let mut tokens = Vec::new();
    for name in ["ann", "bob", "cat"] {
        tokens.push(first.join(meeting, "Pour1nf0", name).await?.1);
    }
    let mut ann = first.connect(meeting, &tokens[0]).await?;
    let mut bob = first.connect(meeting, &tokens[1]).await?;
    ok(&ann.flag("hello-world").await?)?;
    ok(&org.control("start").await?)?;
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    ann.wait_open("poll").await?;
    bob.wait_open("poll").await?;
    let poll = ann.state["question"]["id"].as_i64().unwrap_or(-1);
    let choices = choice_ids(&ann.state);
    ok(&ann.vote(poll, choices[0]).await?)?;
    ok(&bob.vote(poll, choices[1]).await?)?;

    first.server.shutdown().await;
    assert_eq!(ann.close_code().await?, 1012, "told to reconnect");

    let second = TestServer::start_on(url).await?;
    assert!(
        second.server.admin_password.is_none(),
        "the admin account is created only once"
    );
    let mut org = second.connect(meeting, &org_token).await?;
    assert_eq!(org.state["status"], "ongoing");
    let mut ann = second.connect(meeting, &tokens[0]).await?;
    assert_eq!(ann.state["status"], "ongoing");
    assert_eq!(ann.state["question"]["id"], poll);
    assert_eq!(ann.state["you"]["score"], 8, "flag points survived");
    let expected = json!({choices[0].to_string(): 1, choices[1].to_string(): 1, choices[2].to_string(): 0, choices[3].to_string(): 0});
    assert_eq!(ann.state["results"]["counts"], expected);
    assert_eq!(
        error_code(&ann.vote(poll, choices[2]).await?),
        "already_voted"
    );
    let mut cat = second.connect(meeting, &tokens[2]).await?;
    ok(&cat.vote(poll, choices[2]).await?)?;
    ok(&org.control("results").await?)?;
    assert_eq!(ann.wait_status("results").await?["results"]["total"], 3);
    second.server.shutdown().await;
    Ok(())
}
