-- revision: my01
-- +upgrade
INSERT INTO t VALUES ('it\'s; fine', "dq;x"); # hash comment ;
SELECT 1--1;
/*!40101 SET NAMES utf8 */;
SELECT /*+ MAX_EXECUTION_TIME(1) */ 1;
