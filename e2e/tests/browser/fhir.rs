//! A patient downloads their chart as a FHIR export from the chart page; the
//! export then shows in their access log.

use crate::stack_or_skip;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patient_downloads_a_fhir_export_and_sees_it_logged() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("patient1").await.unwrap();
    b.click("a.nav-link[href='/chart']").await.unwrap();
    b.wait_text("#fhir-download", "Download FHIR export")
        .await
        .unwrap();
    assert_eq!(b.count("#fhir-saved").await.unwrap(), 0);
    b.click("#fhir-download").await.unwrap();
    // The SPA confirms once the bundle has been fetched and handed to the
    // browser as a file; an error would show instead.
    b.wait_text("#fhir-saved, .fhir-export .banner-error", ".fhir.json")
        .await
        .unwrap();
    assert_eq!(b.count(".fhir-export .banner-error").await.unwrap(), 0);
    assert!(b
        .text("#fhir-saved")
        .await
        .unwrap()
        .contains("Saved chart-pat-one.fhir.json"));
    b.screenshot("patient-chart-export").await.unwrap();

    b.click("a.nav-link[href='/access-log']").await.unwrap();
    b.wait("#access-log tr[data-action='export']")
        .await
        .expect("the export appears in the patient's access log");
    stack.finish().await;
}
